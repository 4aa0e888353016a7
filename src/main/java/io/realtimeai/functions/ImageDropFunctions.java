package io.realtimeai.functions;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.OutputBinding;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.BlobTrigger;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.QueueOutput;
import com.microsoft.azure.functions.annotation.QueueTrigger;
import io.realtimeai.app.App;
import io.realtimeai.scoring.FolderScoring;
import io.realtimeai.scoring.ScoringJob;
import io.realtimeai.telemetry.AppMetrics;
import java.util.Locale;
import java.util.logging.Level;

/** Drop-a-folder scoring: an image dropped into {@code images/{service}/…} becomes a job, and each job a result. */
public final class ImageDropFunctions {
  // Text, not the record: the Java worker would write a POJO with a JSON library of its own.
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * An image dropped (or overwritten): one job per version on {@code scoring}, written by the
   * queue output binding (so the host hands it to its scorer at once), carrying the image when it
   * is small ({@link ScoringJob#carrying}); the scorer reads a larger one again. The trigger binds
   * the whole name and splits it here at the first folder, because the Functions host's
   * placeholders are greedy ({@code {service}/{path}} would make every folder but the last the service).
   */
  @FunctionName("ImageDrop")
  public void drop(
      @BlobTrigger(name = "image", path = "images/{name}", dataType = "binary",
          connection = "AzureWebJobsStorage") byte[] image,
      @BindingName("name") String name,
      @BindingName("Properties") String properties,
      @QueueOutput(name = "job", queueName = "scoring", connection = "AzureWebJobsStorage") OutputBinding<String> job,
      ExecutionContext context) throws Exception {
    ScoringJob scoring = ScoringJob.of(name, ModelUploadFunction.etag(properties)).carrying(image);
    job.setValue(JSON.writeValueAsString(scoring));
    context.getLogger().fine(() -> scoring + " queued for scoring");
  }

  /** A job of {@code scoring}: scored and recorded; throws (to be retried) only while the service cannot answer. */
  @FunctionName("ScoringJob")
  public void score(
      @QueueTrigger(name = "job", queueName = "scoring", connection = "AzureWebJobsStorage") ScoringJob job,
      ExecutionContext context) {
    FolderScoring.Outcome outcome;
    try {
      outcome = App.get().folderScoring().score(job);
    } catch (RuntimeException e) {
      // The queue retries it, or after its last attempt parks it in scoring-poison (counted there).
      AppMetrics.folderJob("attempt_failed");
      throw e;
    }
    AppMetrics.folderJob(outcome.kind().name().toLowerCase(Locale.ROOT));
    Level level = outcome.kind() == FolderScoring.Outcome.Kind.SCORED ? Level.FINE : Level.INFO;
    context.getLogger().log(level, outcome.detail());
  }
}
