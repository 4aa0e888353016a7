package io.realtimeai.functions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.BlobTrigger;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import io.realtimeai.app.App;
import io.realtimeai.catalog.AcceleratedModels;
import io.realtimeai.catalog.CatalogEntry;
import io.realtimeai.error.NotFoundException;
import java.util.Map;
import java.util.Optional;

/**
 * The accelerated model catalog: models dropped at {@code accelerated-models/{ref}/{version}/model.onnx}
 * (and their {@code model.json}) are checked as they arrive, and {@code GET /api/accelerated-models}
 * lists what the catalog holds.
 */
public final class AcceleratedModelFunctions {
  /**
   * Checks a model as it is dropped. The content binding is required by the trigger but not used:
   * the catalog streams the exact version (the ETag below) to disk itself rather than hold it in memory.
   */
  @FunctionName("AcceleratedModelUpload")
  public void onModel(
      @BlobTrigger(name = "model", path = "accelerated-models/{ref}/{version}/model.onnx", dataType = "binary",
          connection = "AzureWebJobsStorage") byte[] model,
      @BindingName("ref") String ref,
      @BindingName("version") String version,
      @BindingName("Properties") String properties,
      ExecutionContext context) {
    Optional<CatalogEntry> entry = App.get().catalog().onModelBlob(ref, version, etag(properties));
    context.getLogger().info(describe(ref, version, entry));
  }

  /** Checks a model again when its {@code model.json} is dropped or changed, whichever file came first. */
  @FunctionName("AcceleratedModelNotes")
  public void onModelJson(
      @BlobTrigger(name = "notes", path = "accelerated-models/{ref}/{version}/model.json", dataType = "binary",
          connection = "AzureWebJobsStorage") byte[] notes,
      @BindingName("ref") String ref,
      @BindingName("version") String version,
      ExecutionContext context) {
    Optional<CatalogEntry> entry = App.get().catalog().onModelJsonBlob(ref, version);
    context.getLogger().info(entry.isEmpty() ? ref + "/" + version + ": no model.onnx yet; it is checked when it arrives"
        : describe(ref, version, entry));
  }

  /** {@code GET /api/accelerated-models}: every entry, valid or not, with its signature or its reasons. */
  @FunctionName("AcceleratedModels")
  public HttpResponseMessage list(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "accelerated-models",
          authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
      ExecutionContext context) {
    return Http.handle(request, context,
        () -> Http.json(request, 200, Map.of("value", App.get().catalog().list())));
  }

  /** {@code GET /api/accelerated-models/{ref}/{version}}: one entry, or 404. */
  @FunctionName("AcceleratedModel")
  public HttpResponseMessage get(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "accelerated-models/{ref}/{version}",
          authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
      @BindingName("ref") String ref,
      @BindingName("version") String version,
      ExecutionContext context) {
    return Http.handle(request, context, () -> Http.json(request, 200, App.get().catalog().find(ref, version)
        .orElseThrow(() -> new NotFoundException("accelerated model '" + ref + "/" + version
            + "' is not in the catalog: drop it at accelerated-models/" + ref + "/" + version + "/model.onnx"))));
  }

  /**
   * The blob version the trigger fired for, from its {@code Properties} metadata; null when the host
   * does not say (the catalog then checks the current version).
   */
  static String etag(String properties) {
    if (properties == null || properties.isBlank()) {
      return null;
    }
    try {
      JsonNode etag = Http.JSON.readTree(properties).path("ETag");
      return etag.isTextual() && !etag.asText().isBlank() ? etag.asText() : null;
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  private static String describe(String ref, String version, Optional<CatalogEntry> entry) {
    return entry.map(e -> e.refVersion() + " (ETag " + e.etag() + "): " + e.state().label()
        + (e.valid() ? "" : " - " + String.join("; ", e.reasons())))
        .orElse(ref + "/" + version + ": the blob is gone; nothing to check");
  }
}
