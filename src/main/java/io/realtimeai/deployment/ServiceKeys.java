package io.realtimeai.deployment;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

/**
 * A service's two keys; either one authorizes a call, so one can be regenerated while clients
 * move to the other.
 *
 * @param primaryKey the primary key
 * @param secondaryKey the secondary key
 */
public record ServiceKeys(String primaryKey, String secondaryKey) {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Two fresh random keys. */
  public static ServiceKeys generate() {
    return new ServiceKeys(newKey(), newKey());
  }

  /** A fresh random key: 32 bytes, base64url. */
  public static String newKey() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Both keys, as the runtime's key file lists them. */
  public List<String> both() {
    return List.of(primaryKey, secondaryKey);
  }

  @Override
  public String toString() {
    return "ServiceKeys[…]";
  }
}
