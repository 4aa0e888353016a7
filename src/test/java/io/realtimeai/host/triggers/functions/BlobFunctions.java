package io.realtimeai.host.triggers.functions;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.BlobTrigger;
import com.microsoft.azure.functions.annotation.FunctionName;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Blob-triggered functions for the trigger tests: each records what it was given. */
public final class BlobFunctions {
  /** One invocation of {@code BlobUpload}. */
  public record Upload(String name, String ext, byte[] content, String blobTrigger, String uri, String properties,
      String metadata) {}

  /** One invocation of {@code BlobImage}. */
  public record Image(String service, String path, String content) {}

  public static final Queue<Upload> UPLOADS = new ConcurrentLinkedQueue<>();
  public static final Queue<Image> IMAGES = new ConcurrentLinkedQueue<>();
  /** Blob names {@code BlobAlwaysFails} was called with, once per attempt. */
  public static final Queue<String> FAILED_ATTEMPTS = new ConcurrentLinkedQueue<>();
  /** Blob names {@code BlobGate} finished. */
  public static final Queue<String> GATED = new ConcurrentLinkedQueue<>();
  public static final Probe GATE = new Probe();

  @FunctionName("BlobUpload")
  public void upload(
      @BlobTrigger(name = "content", path = "uploads/{name}.{ext}", dataType = "binary",
          connection = "AzureWebJobsStorage") byte[] content,
      @BindingName("name") String name,
      @BindingName("ext") String ext,
      @BindingName("BlobTrigger") String blobTrigger,
      @BindingName("Uri") String uri,
      @BindingName("Properties") String properties,
      @BindingName("Metadata") String metadata,
      ExecutionContext context) {
    UPLOADS.add(new Upload(name, ext, content, blobTrigger, uri, properties, metadata));
  }

  @FunctionName("BlobImage")
  public void image(
      @BlobTrigger(name = "image", path = "images/{service}/{path}", dataType = "string",
          connection = "AzureWebJobsStorage") String image,
      @BindingName("service") String service,
      @BindingName("path") String path) {
    IMAGES.add(new Image(service, path, image));
  }

  @FunctionName("BlobAlwaysFails")
  public void alwaysFails(
      @BlobTrigger(name = "content", path = "failing/{name}", dataType = "binary",
          connection = "AzureWebJobsStorage") byte[] content,
      @BindingName("name") String name) {
    FAILED_ATTEMPTS.add(name);
    throw new IllegalStateException("cannot read " + name);
  }

  @FunctionName("BlobGate")
  public void gate(
      @BlobTrigger(name = "content", path = "gated/{name}", connection = "AzureWebJobsStorage") String content,
      @BindingName("name") String name) throws InterruptedException {
    GATE.enter();
    boolean completed = false;
    try {
      GATE.pass();
      GATED.add(name);
      completed = true;
    } finally {
      GATE.exit(completed);
    }
  }
}
