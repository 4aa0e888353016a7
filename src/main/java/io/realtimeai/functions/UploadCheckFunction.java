package io.realtimeai.functions;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.QueueTrigger;
import io.realtimeai.app.App;

/** The delayed re-check of a folder upload still waiting for files (queue {@code uploads}). */
public final class UploadCheckFunction {
  /** The message: which upload to look at again. */
  public record UploadCheck(String name) {}

  @FunctionName("UploadCheck")
  public void run(@QueueTrigger(name = "check", queueName = "uploads", connection = "AzureWebJobsStorage") UploadCheck check, ExecutionContext context) {
    if (check == null || check.name() == null || check.name().isBlank()) {
      throw new IllegalArgumentException("an uploads message must be {\"name\": \"<upload name>\"}");
    }
    App.get().uploads().recheck(check.name());
  }
}
