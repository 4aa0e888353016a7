package io.realtimeai.events;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;

/**
 * Deterministic event ids: a name-based UUID (RFC 4122 version 5) of the event type, the subject
 * and the key of the state change. A step that runs again records the same id, which is what lets
 * the outbox write an event once however often its step runs, and subscribers deduplicate re-sends.
 */
public final class EventIds {
  /** The namespace of this app's event ids (a fixed, random UUID). */
  private static final UUID NAMESPACE = UUID.fromString("6f1c7f0e-3b0a-4c57-9d8e-5a2b7e4f1d30");

  private EventIds() {}

  /** The id of the event of {@code type} about {@code subject} reporting the state change {@code dedupeKey}. */
  public static String of(EventType type, String subject, String dedupeKey) {
    if (subject == null || subject.isEmpty() || dedupeKey == null || dedupeKey.isEmpty()) {
      throw new IllegalArgumentException("an event id needs a subject and a dedupe key");
    }
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      ByteBuffer namespace = ByteBuffer.allocate(16);
      namespace.putLong(NAMESPACE.getMostSignificantBits()).putLong(NAMESPACE.getLeastSignificantBits());
      sha1.update(namespace.array());
      // Length-prefixed parts: ("a", "bc") and ("ab", "c") must not name the same event.
      for (String part : new String[] {type.wireName(), subject, dedupeKey}) {
        byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
        sha1.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
        sha1.update(bytes);
      }
      byte[] hash = sha1.digest();
      hash[6] = (byte) ((hash[6] & 0x0f) | 0x50); // version 5
      hash[8] = (byte) ((hash[8] & 0x3f) | 0x80); // IETF variant
      ByteBuffer bits = ByteBuffer.wrap(hash, 0, 16);
      return new UUID(bits.getLong(), bits.getLong()).toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is missing from this JVM", e);
    }
  }
}
