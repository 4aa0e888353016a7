package io.realtimeai.packaging;

/**
 * How much a package may hold, checked before anything is extracted.
 *
 * @param maxEntries the most entries a package zip may list
 * @param maxUncompressedBytes the most bytes its entries may hold once uncompressed
 */
public record PackageLimits(int maxEntries, long maxUncompressedBytes) {
  /** 1,000 entries and 4 GiB uncompressed. */
  public static final PackageLimits DEFAULT = new PackageLimits(1_000, 4L << 30);

  public PackageLimits {
    if (maxEntries < 1 || maxUncompressedBytes < 1) {
      throw new IllegalArgumentException("package limits must be positive");
    }
  }
}
