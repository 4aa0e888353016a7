package io.realtimeai.packaging;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * The external data files an ONNX model keeps its weights in ({@code model.onnx.data}, the default
 * of large PyTorch and Hugging Face exports), read from its initializers' {@code location}.
 * The model is streamed field by field rather than parsed whole, so that a model with hundreds of
 * megabytes of weights inside costs no more memory to look at than one without.
 */
final class OnnxExternalData {
  private static final int LENGTH_DELIMITED = WireFormat.WIRETYPE_LENGTH_DELIMITED;

  private OnnxExternalData() {}

  /**
   * The locations named by the model's initializers, relative to the model's folder, as written;
   * empty for a model that keeps its weights inside (or for a file that is not ONNX at all, which
   * loading the model then reports).
   */
  static Set<String> locations(Path model) throws IOException {
    Set<String> found = new TreeSet<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(model), 1 << 16)) {
      CodedInputStream coded = CodedInputStream.newInstance(in);
      coded.setSizeLimit(Integer.MAX_VALUE);
      within(coded, OnnxMl.ModelProto.GRAPH_FIELD_NUMBER, () ->
          within(coded, OnnxMl.GraphProto.INITIALIZER_FIELD_NUMBER, () -> {
            for (int tag; (tag = coded.readTag()) != 0; ) {
              if (WireFormat.getTagFieldNumber(tag) == OnnxMl.TensorProto.EXTERNAL_DATA_FIELD_NUMBER) {
                OnnxMl.StringStringEntryProto entry = OnnxMl.StringStringEntryProto.parseFrom(coded.readBytes());
                if (entry.getKey().equals("location")) {
                  found.add(entry.getValue());
                }
              } else {
                coded.skipField(tag);
              }
            }
          }));
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      // Not an ONNX model: ONNX Runtime says so, with its own words, when the package is checked.
      return Set.of();
    }
    return found;
  }

  private interface Body {
    void read() throws IOException;
  }

  /** Reads every occurrence of message field {@code field} at this level with {@code body}, skipping the rest. */
  private static void within(CodedInputStream coded, int field, Body body) throws IOException {
    for (int tag; (tag = coded.readTag()) != 0; ) {
      if (WireFormat.getTagFieldNumber(tag) == field && WireFormat.getTagWireType(tag) == LENGTH_DELIMITED) {
        int limit = coded.pushLimit(coded.readRawVarint32());
        body.read();
        coded.popLimit(limit);
      } else {
        coded.skipField(tag);
      }
    }
  }
}
