package io.realtimeai.faults;

import io.realtimeai.app.App;
import io.realtimeai.scoring.ResultStore;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.TestApp;
import io.realtimeai.testing.TestImages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Image drops for the fault tests: distinct pictures, dropping them, waiting for their results. */
final class Drops {
  private Drops() {}

  /** {@code count} distinct small JPEGs under {@code folder/}, by path. */
  static Map<String, byte[]> pictures(String folder, int count) {
    Map<String, byte[]> images = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      images.put(String.format("%s/%04d.jpg", folder, i), TestImages.colour(i));
    }
    return images;
  }

  /** Uploads each image to {@code images/{service}/{path}}. */
  static void drop(Storage storage, String service, Map<String, byte[]> images) {
    storage.container(StorageLayout.IMAGES).createIfNotExists();
    images.forEach((path, bytes) -> storage.container(StorageLayout.IMAGES).getBlobClient(service + "/" + path)
        .upload(com.azure.core.util.BinaryData.fromBytes(bytes), true));
  }

  /** How many result rows {@code service} has under {@code folder/}; -1 while storage cannot be read. */
  static int results(String service, String folder) {
    try {
      int count = 0;
      String continuation = null;
      do {
        ResultStore.Page page = App.get().results().list(service, null, 1000, continuation);
        count += (int) page.value().stream().filter(row -> row.path().startsWith(folder + "/")).count();
        continuation = page.continuation();
      } while (continuation != null);
      return count;
    } catch (RuntimeException e) {
      return -1;
    }
  }

  /** Waits for a first result under {@code folder/}: the drop is being scored. */
  static void awaitFirst(String service, String folder, Duration timeout) throws InterruptedException {
    TestApp.await("a first result of " + service + "/" + folder, timeout, () -> results(service, folder) > 0 ? true : null);
  }

  /** Waits for {@code count} results under {@code folder/} and for the scoring queue to hold no message. */
  static void awaitAll(Storage storage, String service, String folder, int count, Duration timeout) throws InterruptedException {
    TestApp.await(count + " results of " + service + "/" + folder, timeout,
        () -> results(service, folder) >= count ? true : null);
    TestApp.await("the scoring queue to drain", timeout, () -> storage.queue(StorageLayout.SCORING_QUEUE)
        .getProperties().getApproximateMessagesCount() == 0 ? true : null);
  }

  /** Paths of {@code images}, for the counts. */
  static List<String> paths(Map<String, byte[]> images) {
    return new ArrayList<>(images.keySet());
  }
}
