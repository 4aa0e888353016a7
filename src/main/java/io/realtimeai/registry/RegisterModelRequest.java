package io.realtimeai.registry;

import java.util.Map;

/**
 * The body of {@code POST /api/models}, with the Brainwave model management API's field names.
 *
 * @param name the model name
 * @param url an http(s) URL to download the package from (or {@code blobPath})
 * @param blobPath {@code container/blob} of a package already in the app's storage (or {@code url})
 * @param mimeType {@code application/zip} (the only kind of package)
 * @param unpack Brainwave's flag; a package is always a zip to unpack, so only {@code true} (or absent) is taken
 * @param description free text
 * @param tags free key/value pairs
 */
public record RegisterModelRequest(
    String name, String url, String blobPath, String mimeType, Boolean unpack, String description,
    Map<String, String> tags) {}
