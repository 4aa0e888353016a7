package io.realtimeai.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.BlobTrigger;
import com.microsoft.azure.functions.annotation.FunctionName;
import io.realtimeai.app.App;
import io.realtimeai.registry.UploadStatus;

/** A blob dropped into {@code model-uploads}: a {@code {name}.zip} package, or a file of a {@code {name}/} folder. */
public final class ModelUploadFunction {
  @FunctionName("ModelUpload")
  public void run(
      @BlobTrigger(name = "content", path = "model-uploads/{blobName}", dataType = "binary",
          connection = "AzureWebJobsStorage") byte[] content,
      @BindingName("blobName") String blobName,
      @BindingName("Properties") String properties,
      ExecutionContext context) throws Exception {
    UploadStatus status = App.get().uploads().onBlob(blobName, etag(properties), content);
    if (status != null) {
      context.getLogger().info(() -> "model-uploads/" + blobName + ": " + status.state()
          + (status.modelId() != null ? " as " + status.modelId() : "")
          + (status.missing().isEmpty() ? "" : ", waiting for " + String.join(", ", status.missing())));
    }
  }

  // The trigger's Properties binding holds the blob's properties, its ETag among them, as on Azure.
  static String etag(String properties) throws Exception {
    JsonNode node = Http.JSON.readTree(properties == null ? "{}" : properties);
    String etag = node.path("ETag").asText(node.path("etag").asText(null));
    if (etag == null || etag.isBlank()) {
      throw new IllegalStateException("the blob trigger gave no ETag in its Properties binding");
    }
    return etag.startsWith("\"") ? etag : "\"" + etag + "\"";
  }
}
