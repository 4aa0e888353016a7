package io.realtimeai.pipeline;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Direct, native-order buffers kept for reuse, by exact size: the engine's input tensors are
 * made over them. Allocating a fresh 600 KB direct buffer per request took about 40 % of the
 * runtime's Java samples under steady batch-1 load (zeroing, the direct-memory reservation and
 * its cleaner) and drove a young collection every ~20 requests; requests of one service repeat
 * the same few sizes, so a handful of buffers serves them all.
 */
final class BufferPool {
  /** At most this many idle buffers are kept per size; more only happen under a burst, and are let go. */
  private static final int KEPT_PER_SIZE = 32;

  private final Map<Integer, Queue<ByteBuffer>> idle = new ConcurrentHashMap<>();
  private final Map<Integer, AtomicInteger> idleCounts = new ConcurrentHashMap<>();
  private final AtomicLong allocated = new AtomicLong();

  /** A cleared buffer of exactly {@code bytes} bytes, native order; give it back with {@link #give}. */
  ByteBuffer take(int bytes) {
    Queue<ByteBuffer> queue = idle.get(bytes);
    ByteBuffer buffer = queue == null ? null : queue.poll();
    if (buffer != null) {
      idleCounts.get(bytes).decrementAndGet();
      return buffer.clear();
    }
    allocated.incrementAndGet();
    return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
  }

  /** Returns a buffer from {@link #take} once nothing reads it any more (its tensor is closed). */
  void give(ByteBuffer buffer) {
    int bytes = buffer.capacity();
    AtomicInteger count = idleCounts.computeIfAbsent(bytes, b -> new AtomicInteger());
    if (count.incrementAndGet() > KEPT_PER_SIZE) {
      count.decrementAndGet();
      return;
    }
    idle.computeIfAbsent(bytes, b -> new ConcurrentLinkedQueue<>()).add(buffer);
  }

  /** How many buffers were allocated since the pool was made: constant once the sizes in use are warm. */
  long allocated() {
    return allocated.get();
  }
}
