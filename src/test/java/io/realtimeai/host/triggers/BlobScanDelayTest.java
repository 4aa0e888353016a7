package io.realtimeai.host.triggers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The pause between a blob trigger's scans: quick while blobs arrive, never a listing without a break. */
class BlobScanDelayTest {
  private static final Duration POLL = Duration.ofSeconds(1);

  @Test
  void nextScanDelay_isThePollIntervalWhenNothingNewWasFound() {
    assertEquals(POLL, BlobTriggerListener.nextScanDelay(0, Duration.ofMillis(20), POLL));
  }

  @Test
  void nextScanDelay_isTheBurstPauseAfterAQuickScanThatFoundNewVersions() {
    assertEquals(BlobTriggerListener.BURST_DELAY, BlobTriggerListener.nextScanDelay(3, Duration.ofMillis(20), POLL));
  }

  @Test
  void nextScanDelay_isFourTimesASlowScansDurationWhateverItFound() {
    // A scan of 450 ms (about 6,000 blobs on Azurite here) is followed by a pause of 1.8 s: listing takes a fifth of the time.
    assertEquals(Duration.ofMillis(1800), BlobTriggerListener.nextScanDelay(3, Duration.ofMillis(450), POLL));
    assertEquals(Duration.ofMillis(6000), BlobTriggerListener.nextScanDelay(0, Duration.ofMillis(1500), POLL));
  }

  @Test
  void nextScanDelay_neverBurstsFasterThanAShortPollInterval() {
    Duration poll = Duration.ofMillis(50);
    assertEquals(poll, BlobTriggerListener.nextScanDelay(5, Duration.ofMillis(10), poll));
  }
}
