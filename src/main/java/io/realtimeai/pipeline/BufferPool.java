package io.realtimeai.pipeline;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Direct, native-order buffers kept for reuse: the engine's input tensors (and the outputs it
 * writes in place) are made over them. Allocating a fresh 600 KB direct buffer per request took
 * about 40 % of the runtime's Java samples under steady batch-1 load (zeroing, the direct-memory
 * reservation and its cleaner) and drove a young collection every ~20 requests.
 *
 * <p>A request is served by the smallest idle buffer that holds it, its limit set to the size
 * asked for: one image fits in the buffer a 16-image batch left behind. Kept by exact size, as
 * this pool once was, every batch size a service met got buffers of its own: a runtime fed
 * batches of 1 to 16 images by two callers and single images by a third grew its direct memory
 * from 98 to 157 MiB in four minutes, still growing (Native Memory Tracking). When no idle buffer
 * is big enough, the largest smaller one is let go for the new one, which serves its calls too:
 * the pool holds about as many buffers as calls ever ran at once, each as big as the largest
 * batch, and stops growing there.
 */
final class BufferPool {
  /** At most this many idle buffers are kept; more only happen under a burst, and are let go. */
  private static final int KEPT = 32;

  /**
   * A buffer serves requests down to this fraction of its size and no smaller: an image in the
   * buffer of a 64-image batch, not a few floats of output in an image's buffer.
   */
  private static final int MOST_SLACK = 64;

  /** Idle buffers by capacity. */
  private final TreeMap<Integer, ArrayDeque<ByteBuffer>> idle = new TreeMap<>();
  private int idleCount;
  private final AtomicLong allocated = new AtomicLong();

  /** A native-order buffer of at least {@code bytes} bytes, limited to {@code bytes}; give it back with {@link #give}. */
  ByteBuffer take(int bytes) {
    synchronized (this) {
      Map.Entry<Integer, ArrayDeque<ByteBuffer>> fit = idle.ceilingEntry(bytes);
      if (fit != null && fit.getKey() <= (long) bytes * MOST_SLACK) {
        return poll(fit).clear().limit(bytes);
      }
      Map.Entry<Integer, ArrayDeque<ByteBuffer>> smaller = idle.lowerEntry(bytes);
      if (smaller != null && (long) smaller.getKey() * MOST_SLACK >= bytes) {
        poll(smaller);
      }
    }
    allocated.incrementAndGet();
    return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
  }

  /** Returns a buffer from {@link #take} once nothing reads it any more (its tensor is closed). */
  void give(ByteBuffer buffer) {
    synchronized (this) {
      if (idleCount < KEPT) {
        idle.computeIfAbsent(buffer.capacity(), b -> new ArrayDeque<>()).add(buffer);
        idleCount++;
      }
    }
  }

  private ByteBuffer poll(Map.Entry<Integer, ArrayDeque<ByteBuffer>> entry) {
    ByteBuffer buffer = entry.getValue().poll();
    if (entry.getValue().isEmpty()) {
      idle.remove(entry.getKey());
    }
    idleCount--;
    return buffer;
  }

  /** How many buffers were allocated since the pool was made: constant once the largest size in use is warm. */
  long allocated() {
    return allocated.get();
  }
}
