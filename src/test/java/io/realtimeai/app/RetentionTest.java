package io.realtimeai.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.realtimeai.client.Prediction;
import io.realtimeai.events.EventOutbox;
import io.realtimeai.events.EventPublisher;
import io.realtimeai.functions.RetentionFunction;
import io.realtimeai.host.InvocationContext;
import io.realtimeai.scoring.ResultStore;
import io.realtimeai.scoring.ScoreResult;
import io.realtimeai.testing.AzuriteExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code RETENTION_MINUTES} on a real Azurite: what is older goes, an undelivered event only when nothing would send it. */
@Tag("integration")
class RetentionTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();

  @AfterEach
  void forgetSettings() {
    AppSettings.clearLocal();
  }

  private static ScoreResult scoredAt(String service, Instant at) {
    return new ScoreResult(ResultStore.resultId(service, "cat.jpg", "\"v1\""), service, "tiny:1", "cat.jpg", "\"v1\"",
        at, "Scored", List.of(List.of(new Prediction(3, "tabby", 0.9f))), null, null, new ScoreResult.Timings(2.0, 1.0));
  }

  /** What the other tests of this class left, gone, so that a test's counts are its own. */
  private static void emptied(ResultStore results, EventOutbox outbox) {
    new Retention(results, outbox, () -> false, Duration.ZERO).expire(Instant.now().plus(Duration.ofDays(1)));
  }

  @Test
  void theSetting_deletesResultsAndEventsOlderThanItsMinutes_theUndeliveredTooWithNoTopic() {
    EventOutbox outbox = new EventOutbox(azurite.storage().ensureLayout());
    App app = App.of(azurite.storage(), outbox, EventPublisher.disabled());
    emptied(app.results(), outbox);
    Instant now = Instant.now();
    app.results().record(scoredAt("kept-for-an-hour", now.minus(Duration.ofHours(3))), () -> true);
    AppSettings.putLocal(Map.of(Retention.SETTING, "60"));

    // An hour on, the result (scored three hours before) and its event (recorded now) are both past the hour.
    Retention.Report report = app.retention().orElseThrow().expire(now.plus(Duration.ofMinutes(61)));

    assertThat(report.results()).isEqualTo(1);
    assertThat(report.events()).isEqualTo(1);
    assertThat(report.summary()).startsWith("retention: deleted 1 result(s) and 1 event(s) from before ");
    assertThat(app.results().find("kept-for-an-hour", "cat.jpg")).isEmpty();
    assertThat(outbox.list(null, 10, null).events()).isEmpty();
  }

  @Test
  void withATopic_anUndeliveredEventIsKeptHoweverOld() {
    EventOutbox outbox = new EventOutbox(azurite.storage().ensureLayout());
    ResultStore results = new ResultStore(azurite.storage(), outbox);
    emptied(results, outbox);
    Instant now = Instant.now();
    results.record(scoredAt("waits-for-its-topic", now.minus(Duration.ofHours(3))), () -> true);

    Retention.Report report = new Retention(results, outbox, () -> true, Duration.ofHours(1)).expire(now.plus(Duration.ofHours(2)));

    assertThat(report.results()).isEqualTo(1);
    assertThat(report.events()).isZero();
    assertThat(outbox.pending(10)).extracting(e -> e.event().subject()).contains("/services/waits-for-its-topic/images/cat.jpg");
  }

  @Test
  void theSetting_unsetKeepsEverything_andAValueThatIsNotMinutesIsAnErrorNamingIt() {
    assertThat(Retention.setting()).isEmpty();

    AppSettings.putLocal(Map.of(Retention.SETTING, "a week"));
    assertThatThrownBy(Retention::setting).hasMessage("setting RETENTION_MINUTES must be a whole number, got 'a week'");
    AppSettings.putLocal(Map.of(Retention.SETTING, "0"));
    assertThatThrownBy(Retention::setting).hasMessage(
        "setting RETENTION_MINUTES must be 1 or more minutes (unset keeps results and events for good), got 0");
    AppSettings.putLocal(Map.of(Retention.SETTING, "1440"));
    assertThat(Retention.setting()).contains(Duration.ofDays(1));
  }
  @Test
  void theFunction_withABadSetting_logsOneLineNamingItAndDeletesNothing() {
    EventOutbox outbox = new EventOutbox(azurite.storage().ensureLayout());
    App app = App.of(azurite.storage(), outbox, EventPublisher.disabled());
    app.results().record(scoredAt("kept-while-misconfigured", Instant.now().minus(Duration.ofDays(3))), () -> true);
    App.install(app);
    AppSettings.putLocal(Map.of(Retention.SETTING, "soon"));
    List<LogRecord> logged = new CopyOnWriteArrayList<>();
    Handler handler = new Handler() {
      @Override
      public void publish(LogRecord record) {
        logged.add(record);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger.getLogger("Function.Retention").addHandler(handler);
    try {
      new RetentionFunction().run("timer", new InvocationContext("Retention"));
    } finally {
      Logger.getLogger("Function.Retention").removeHandler(handler);
      App.reset();
    }

    assertThat(logged).singleElement().satisfies(record -> {
      assertThat(record.getLevel()).isEqualTo(Level.SEVERE);
      assertThat(record.getThrown()).isNull();
      assertThat(record.getMessage()).endsWith("setting RETENTION_MINUTES must be a whole number, got 'soon';"
          + " nothing is deleted until it is");
    });
    assertThat(app.results().find("kept-while-misconfigured", "cat.jpg")).isPresent();
  }
}
