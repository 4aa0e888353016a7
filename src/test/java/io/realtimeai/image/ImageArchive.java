package io.realtimeai.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarFile;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * A container image saved as a docker-archive tar (what Jib's {@code buildTar} and {@code docker save}
 * write): its {@code manifest.json}, its config and its layers, read and unpacked the way a container
 * runtime stacks them, whiteouts included.
 */
final class ImageArchive implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String WHITEOUT = ".wh.";
  private static final String OPAQUE = ".wh..wh..opq";

  /** One layer: its file in the archive and its compressed size. */
  record Layer(String file, long size) {}

  /** One path of the stacked file system: its mode bits, and where it points when it is a link. */
  record Entry(String path, int mode, boolean directory, String linkTarget) {
    boolean executable() {
      return !directory && (mode & 0111) != 0;
    }
  }

  private final TarFile tar;
  private final Map<String, TarArchiveEntry> files = new LinkedHashMap<>();
  private final JsonNode config;
  private final List<Layer> layers = new ArrayList<>();

  private ImageArchive(Path archive) throws IOException {
    tar = new TarFile(archive.toFile());
    for (TarArchiveEntry entry : tar.getEntries()) {
      files.put(clean(entry.getName()), entry);
    }
    JsonNode manifest = JSON.readTree(read("manifest.json"));
    if (!manifest.isArray() || manifest.size() != 1) {
      throw new IOException("manifest.json names " + manifest.size() + " images, not one");
    }
    config = JSON.readTree(read(manifest.get(0).get("Config").asText()));
    for (JsonNode layer : manifest.get(0).get("Layers")) {
      layers.add(new Layer(layer.asText(), entry(layer.asText()).getSize()));
    }
  }

  /** Opens the docker-archive tar at {@code archive}. */
  static ImageArchive open(Path archive) throws IOException {
    return new ImageArchive(archive);
  }

  /** The image config's {@code config} object: Entrypoint, Cmd, User, Env, ExposedPorts, Labels, WorkingDir. */
  JsonNode runConfig() {
    return config.path("config");
  }

  /** The whole image config, with {@code rootfs.diff_ids} and {@code history}. */
  JsonNode config() {
    return config;
  }

  /** The layers, bottom (the base) first. */
  List<Layer> layers() {
    return List.copyOf(layers);
  }

  /** The image's environment, from {@code Env}. */
  Map<String, String> environment() {
    Map<String, String> environment = new LinkedHashMap<>();
    for (JsonNode line : runConfig().path("Env")) {
      String text = line.asText();
      int equals = text.indexOf('=');
      environment.put(equals < 0 ? text : text.substring(0, equals), equals < 0 ? "" : text.substring(equals + 1));
    }
    return environment;
  }

  /** The sha256 of a layer's uncompressed content, as {@code rootfs.diff_ids} must name it. */
  String diffId(Layer layer) throws IOException {
    try (DigestInputStream in = new DigestInputStream(uncompressed(layer), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(OutputStream.nullOutputStream());
      return "sha256:" + HexFormat.of().formatHex(in.getMessageDigest().digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The uncompressed size of a layer. */
  long unpackedSize(Layer layer) throws IOException {
    try (InputStream in = uncompressed(layer)) {
      return in.transferTo(OutputStream.nullOutputStream());
    }
  }

  /** Every path of the stacked file system (layers applied in order, whiteouts honoured), sorted. */
  Map<String, Entry> entries() throws IOException {
    TreeMap<String, Entry> entries = new TreeMap<>();
    for (Layer layer : layers) {
      try (TarArchiveInputStream in = new TarArchiveInputStream(uncompressed(layer))) {
        for (TarArchiveEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
          String path = clean(entry.getName());
          if (path.isEmpty()) {
            continue;
          }
          String name = path.substring(path.lastIndexOf('/') + 1);
          String parent = path.contains("/") ? path.substring(0, path.lastIndexOf('/')) : "";
          if (name.equals(OPAQUE) && parent.isEmpty()) {
            entries.clear();
          } else if (name.equals(OPAQUE)) {
            entries.subMap(parent + "/", parent + "0").clear();   // '0' sorts right after '/'
          } else if (name.startsWith(WHITEOUT)) {
            String gone = (parent.isEmpty() ? "" : parent + "/") + name.substring(WHITEOUT.length());
            entries.remove(gone);
            entries.subMap(gone + "/", gone + "0").clear();
          } else {
            entries.put(path, new Entry(path, entry.getMode(), entry.isDirectory(),
                entry.isSymbolicLink() || entry.isLink() ? entry.getLinkName() : null));
          }
        }
      }
    }
    return entries;
  }

  /**
   * Unpacks the layers in order into {@code root}, as a container runtime stacks them: whiteouts delete,
   * opaque directories empty, later files replace earlier ones, links stay links, mode bits are kept.
   * Owners are not (this runs without privileges); device nodes are skipped, as runtimes mount /dev.
   */
  void unpack(Path root) throws IOException {
    Files.createDirectories(root);
    Map<Path, Integer> directoryModes = new LinkedHashMap<>();
    for (Layer layer : layers) {
      try (TarArchiveInputStream in = new TarArchiveInputStream(uncompressed(layer))) {
        for (TarArchiveEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
          String path = clean(entry.getName());
          if (path.isEmpty()) {
            continue;
          }
          Path target = inside(root, path);
          String name = target.getFileName().toString();
          if (name.equals(OPAQUE)) {
            try (Stream<Path> children = Files.list(target.getParent())) {
              for (Path child : (Iterable<Path>) children::iterator) {
                deleteRecursively(child);
              }
            }
            continue;
          }
          if (name.startsWith(WHITEOUT)) {
            deleteRecursively(target.resolveSibling(name.substring(WHITEOUT.length())));
            continue;
          }
          Files.createDirectories(target.getParent());
          if (entry.isDirectory()) {
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
              Files.delete(target);
            }
            Files.createDirectories(target);
            directoryModes.put(target, entry.getMode());   // applied last: a read-only folder still takes its files
            continue;
          }
          if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            deleteRecursively(target);
          } else {
            Files.deleteIfExists(target);
          }
          if (entry.isSymbolicLink()) {
            Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
          } else if (entry.isLink()) {
            Files.createLink(target, inside(root, clean(entry.getLinkName())));
          } else if (entry.isFile()) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(target, permissions(entry.getMode()));
          }
          // character and block devices and FIFOs are left out
        }
      }
    }
    List<Path> folders = new ArrayList<>(directoryModes.keySet());
    folders.sort(Comparator.comparingInt(Path::getNameCount).reversed());
    for (Path folder : folders) {
      Files.setPosixFilePermissions(folder, permissions(directoryModes.get(folder)));
    }
  }

  @Override
  public void close() throws IOException {
    tar.close();
  }

  private InputStream uncompressed(Layer layer) throws IOException {
    InputStream raw = tar.getInputStream(entry(layer.file()));
    // Jib writes gzip layers; docker save writes plain ones: both are docker-archive tars.
    InputStream buffered = new BufferedInputStream(raw, 1 << 16);
    buffered.mark(2);
    int first = buffered.read();
    int second = buffered.read();
    buffered.reset();
    return first == 0x1f && second == 0x8b ? new GzipCompressorInputStream(buffered) : buffered;
  }

  private byte[] read(String name) throws IOException {
    try (InputStream in = tar.getInputStream(entry(name))) {
      return in.readAllBytes();
    }
  }

  private TarArchiveEntry entry(String name) throws IOException {
    TarArchiveEntry entry = files.get(clean(name));
    if (entry == null) {
      throw new IOException("the image archive has no " + name);
    }
    return entry;
  }

  private static String clean(String name) {
    String path = name;
    while (path.startsWith("./") || path.startsWith("/")) {
      path = path.substring(path.startsWith("./") ? 2 : 1);
    }
    if (path.equals(".")) {
      return "";
    }
    return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  private static Path inside(Path root, String path) throws IOException {
    Path target = root.resolve(path).normalize();
    if (!target.startsWith(root)) {
      throw new IOException("layer entry escapes the root: " + path);
    }
    return target;
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
    for (int bit = 0; bit < order.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        permissions.add(order[bit]);
      }
    }
    return permissions;
  }

  /** Deletes {@code path} and what is under it, never following a link; read-only folders are opened first. */
  static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
      Files.setPosixFilePermissions(path, EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
          PosixFilePermission.OWNER_EXECUTE));
      try (Stream<Path> children = Files.list(path)) {
        for (Path child : (Iterable<Path>) children::iterator) {
          deleteRecursively(child);
        }
      }
    }
    Files.delete(path);
  }
}
