package io.realtimeai.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.realtimeai.storage.StorageLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The Bicep in {@code infra/} and the code agree: every setting the app reads is in the Function
 * App's {@code appSettings} and every app setting there is read by the code (or owned by the
 * Functions host); the cluster's Role grants what the Kubernetes provider calls, in the namespace
 * the app is told. Bicep cannot be compiled here, so this is what keeps {@code infra/} honest.
 */
class InfraSettingsTest {
  private static final Path ROOT = ProjectPaths.root();
  private static final Path MAIN_SOURCES = ROOT.resolve("src/main/java");
  private static final Path FUNCTIONS_BICEP = ROOT.resolve("infra/modules/functions.bicep");
  private static final Path STORAGE_BICEP = ROOT.resolve("infra/modules/storage.bicep");
  private static final Path K8S_YAML = ROOT.resolve("infra/k8s/realtime-ai.yaml");
  private static final Path PROVIDER =
      MAIN_SOURCES.resolve("io/realtimeai/deployment/kubernetes/KubernetesReplicaProvider.java");

  /** Settings the code reads that have no meaning on Azure, each with the reason. */
  private static final Map<String, String> READ_BUT_LOCAL_ONLY = Map.of(
      "REPLICA_STATE_DIR", "the local replica provider's process records; Azure runs REPLICA_PROVIDER=kubernetes",
      "RUNTIME_JAR", "the jar the local replica provider starts as a process; on Azure replicas run the image",
      "EVENTGRID_TRUSTED_CERTIFICATE", "trusts a local HTTPS event receiver's self-signed certificate; Event Grid"
          + " has a public CA-signed one");

  /** App settings the Functions host (not the code) reads, each with the reason. */
  private static final Map<String, String> HOST_OWNED = Map.of(
      "FUNCTIONS_EXTENSION_VERSION", "the Functions runtime version (~4)",
      "FUNCTIONS_WORKER_RUNTIME", "the language worker (java)",
      "APPLICATIONINSIGHTS_CONNECTION_STRING", "where the host and the Java agent send telemetry",
      "APPLICATIONINSIGHTS_ENABLE_AGENT", "turns on the Java worker's Application Insights agent",
      "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "the Elastic Premium plan's content file share",
      "WEBSITE_CONTENTSHARE", "the name of that file share");

  /** Files that read a setting whose name is a variable, with where the names come from instead. */
  private static final Map<String, String> DYNAMIC_READS = Map.of(
      "io/realtimeai/host/LocalHost.java", "the local host reads each trigger's connection setting, which the"
          + " bindings name in `connection = \"…\"` (scanned below)");

  private static final Pattern SETTING_CALL =
      Pattern.compile("AppSettings\\.get(?:Int)?\\(\\s*(\"[^\"]+\"|[A-Za-z_][\\w.]*)");
  private static final Pattern STRING_CONSTANT =
      Pattern.compile("static\\s+final\\s+String\\s+([A-Z_][A-Z0-9_]*)\\s*=\\s*\"([^\"]*)\"\\s*;");
  private static final Pattern BINDING_CONNECTION = Pattern.compile("\\bconnection\\s*=\\s*\"([^\"]+)\"");
  private static final Pattern BICEP_NAME = Pattern.compile("^\\s*name:\\s*'([^']+)'\\s*$", Pattern.MULTILINE);

  @Test
  void everySettingTheCodeReads_isInTheFunctionAppSettings() {
    Set<String> inBicep = appSettings().keySet();
    List<String> missing = new ArrayList<>();
    settingsReadByCode().forEach((setting, where) -> {
      if (!inBicep.contains(setting) && !READ_BUT_LOCAL_ONLY.containsKey(setting)) {
        missing.add(setting + " (read in " + where + ")");
      }
    });
    assertTrue(missing.isEmpty(), "settings the code reads but " + ROOT.relativize(FUNCTIONS_BICEP)
        + " does not set in the Function App's appSettings: " + missing);
  }

  @Test
  void everyFunctionAppSetting_isReadByTheCodeOrOwnedByTheHost() {
    Set<String> read = settingsReadByCode().keySet();
    List<String> unread = appSettings().keySet().stream()
        .filter(setting -> !read.contains(setting) && !HOST_OWNED.containsKey(setting)).toList();
    assertTrue(unread.isEmpty(), ROOT.relativize(FUNCTIONS_BICEP) + " sets app settings no code reads: " + unread);
  }

  @Test
  void exceptions_areStillNeeded() {
    // An exception that no longer applies would silently widen the check.
    Map<String, String> read = settingsReadByCode();
    READ_BUT_LOCAL_ONLY.keySet().forEach(setting -> {
      assertTrue(read.containsKey(setting), "local-only exception " + setting + " is read nowhere any more: drop it");
      assertFalse(appSettings().containsKey(setting), setting + " is local-only but " + ROOT.relativize(FUNCTIONS_BICEP)
          + " sets it");
    });
    HOST_OWNED.keySet().forEach(setting -> assertTrue(appSettings().containsKey(setting),
        "host setting " + setting + " is missing from " + ROOT.relativize(FUNCTIONS_BICEP)));
  }

  @Test
  void settingsScan_resolvesLiteralsConstantsAndBindingConnections() {
    Map<String, String> sources = new TreeMap<>(Map.of(
        "a/Settings.java", "class Settings { public static final String SHARED = \"SHARED_SETTING\"; }",
        "a/Other.java", "class Other { static final String SHARED = \"OTHER_VALUE\"; }",
        "a/Reader.java", """
            class Reader {
              private static final String OWN = "OWN_SETTING";
              void read() {
                AppSettings.get("LITERAL_SETTING", "x");
                AppSettings.getInt(  "NUMBER_SETTING", 3);
                AppSettings.get(OWN);
                AppSettings.get(Settings.SHARED).orElse(null);
              }
            }
            """,
        "a/Function.java", "void run(@QueueTrigger(name = \"m\", queueName = \"q\", connection = \"BindingStorage\") String m) {}"));
    assertEquals(Set.of("LITERAL_SETTING", "NUMBER_SETTING", "OWN_SETTING", "SHARED_SETTING", "BindingStorage"),
        settingsRead(sources).keySet());
    assertEquals("a/Function.java (binding)", settingsRead(sources).get("BindingStorage"));

    sources.put("a/Ambiguous.java", "void read() { AppSettings.get(SHARED); }");
    AssertionError ambiguous = assertThrows(AssertionError.class, () -> settingsRead(sources));
    assertTrue(ambiguous.getMessage().contains("a/Ambiguous.java reads setting SHARED"), ambiguous.getMessage());
    sources.put("a/Ambiguous.java", "void read(String name) { AppSettings.get(name); }");
    AssertionError dynamic = assertThrows(AssertionError.class, () -> settingsRead(sources));
    assertTrue(dynamic.getMessage().contains("named by variable name"), dynamic.getMessage());
  }

  @Test
  void settingsScan_findsWhatTheAppReallyReads() {
    Map<String, String> read = settingsReadByCode();
    assertTrue(read.containsKey("KUBERNETES_KUBECONFIG"), "a literal (Clusters): " + read.keySet());
    assertTrue(read.containsKey("EVENTGRID_TOPIC_ENDPOINT"), "a constant (EventGridTopic.ENDPOINT_SETTING): " + read.keySet());
    assertTrue(read.containsKey("AzureWebJobsStorage"), "AppSettings.STORAGE and the bindings: " + read.keySet());
  }

  @Test
  void functionAppSettings_setTheKubernetesProviderWithManagedIdentity() {
    Map<String, String> settings = appSettings();
    assertEquals("'kubernetes'", settings.get("REPLICA_PROVIDER"));
    assertEquals("'managed-identity'", settings.get("KUBERNETES_AUTH"));
    assertEquals("'900'", settings.get("DEPLOYMENT_TIMEOUT_SECONDS"));
    assertTrue(settings.get("KUBERNETES_RUNTIME_IMAGE").contains("/realtime-ai-runtime:"),
        "KUBERNETES_RUNTIME_IMAGE: " + settings.get("KUBERNETES_RUNTIME_IMAGE"));
    assertEquals("storageConnection", settings.get("AzureWebJobsStorage"));
    String connection = defaultOf("storageConnection", FUNCTIONS_BICEP);
    assertTrue(connection.startsWith("'DefaultEndpointsProtocol=https;") && connection.contains("AccountKey=${storage.listKeys()"),
        "AzureWebJobsStorage must be the key-based connection string Storage.connect accepts: " + connection);
  }

  @Test
  void role_grantsWhatTheProviderCallsInOneNamespace() {
    List<JsonNode> documents = k8sDocuments();
    List<String> kinds = documents.stream().map(d -> d.path("kind").asText()).toList();
    assertFalse(kinds.contains("ClusterRole"), K8S_YAML + " must not hold a ClusterRole: " + kinds);
    assertFalse(kinds.contains("ClusterRoleBinding"), K8S_YAML + " must not hold a ClusterRoleBinding: " + kinds);

    JsonNode role = single(documents, "Role");
    Map<String, Set<String>> granted = new TreeMap<>();
    for (JsonNode rule : role.path("rules")) {
      for (JsonNode group : rule.path("apiGroups")) {
        for (JsonNode resource : rule.path("resources")) {
          Set<String> verbs = granted.computeIfAbsent(group.asText() + "/" + resource.asText(), k -> new TreeSet<>());
          rule.path("verbs").forEach(v -> verbs.add(v.asText()));
        }
      }
    }
    Set<String> readWrite = Set.of("get", "list", "watch", "create", "update", "patch", "delete");
    Set<String> readOnly = Set.of("get", "list", "watch");
    Map<String, Set<String>> needed = new LinkedHashMap<>();
    needed.put("apps/deployments", readWrite);
    needed.put("/services", readWrite);
    // Never list or watch: that would read every service's keys at once; the provider asks for one Secret by name.
    needed.put("/secrets", Set.of("get", "create", "update", "delete"));
    needed.put("/pods", readOnly);
    needed.put("discovery.k8s.io/endpointslices", readOnly);
    needed.forEach((resource, verbs) -> assertEquals(verbs, granted.get(resource),
        "verbs of " + resource + " in the Role of " + ROOT.relativize(K8S_YAML)));
    // Nothing beyond that list, but update on deployments/finalizers that blockOwnerDeletion needs.
    granted.forEach((resource, verbs) -> assertTrue(needed.containsKey(resource)
        || resource.equals("apps/deployments/finalizers") && verbs.equals(Set.of("update")),
        "the Role grants " + resource + " " + verbs + ", which the provider does not use"));
  }

  @Test
  void provider_callsOnlyTheResourcesTheRoleNames() throws IOException {
    String provider = Files.readString(PROVIDER);
    Map<String, String> calls = Map.of(
        "client.apps().deployments()", "apps/deployments",
        "client.services()", "/services",
        "client.secrets()", "/secrets",
        "client.pods()", "/pods",
        "client.discovery().v1().endpointSlices()", "discovery.k8s.io/endpointslices");
    calls.forEach((call, resource) -> assertTrue(provider.contains(call),
        "the provider no longer calls " + call + ": update the Role's " + resource + " and this test"));
    Matcher client = Pattern.compile("client\\.([a-zA-Z]+)\\(\\)").matcher(provider);
    Set<String> used = new TreeSet<>();
    while (client.find()) {
      used.add(client.group(1));
    }
    used.removeAll(Set.of("apps", "services", "secrets", "pods", "discovery", "close", "getMasterUrl"));
    assertTrue(used.isEmpty(), "the provider calls Kubernetes APIs the Role in " + ROOT.relativize(K8S_YAML)
        + " may not grant: " + used);
  }

  @Test
  void namespace_isTheOneTheFunctionAppIsTold() {
    String namespace = unquoted(appSettings().get("KUBERNETES_NAMESPACE"));
    List<JsonNode> documents = k8sDocuments();
    assertEquals(namespace, single(documents, "Namespace").path("metadata").path("name").asText(),
        "the Namespace of " + ROOT.relativize(K8S_YAML) + " against KUBERNETES_NAMESPACE in " + ROOT.relativize(FUNCTIONS_BICEP));
    assertEquals(namespace, single(documents, "Role").path("metadata").path("namespace").asText());
    JsonNode binding = single(documents, "RoleBinding");
    assertEquals(namespace, binding.path("metadata").path("namespace").asText());
    assertEquals(single(documents, "Role").path("metadata").path("name").asText(), binding.path("roleRef").path("name").asText());
    JsonNode subject = binding.path("subjects").get(0);
    assertEquals("User", subject.path("kind").asText(), "a managed identity binds as a User (its object id)");
    assertEquals("FUNCTION_APP_PRINCIPAL_ID", subject.path("name").asText(), "the placeholder the README's Deploy to Azure step 5 substitutes");
  }

  @Test
  void devicePlugin_toleratesTheGpuTaintTheAppIsTold() {
    String toleration = unquoted(defaultOf("gpuTaint", ROOT.resolve("infra/main.bicep")));
    JsonNode plugin = single(k8sDocuments(), "DaemonSet");
    JsonNode tolerates = plugin.path("spec").path("template").path("spec").path("tolerations").get(0);
    assertEquals(toleration, tolerates.path("key").asText() + "=" + tolerates.path("value").asText() + ":"
        + tolerates.path("effect").asText(), "the device plugin's toleration against gpuTaint in infra/main.bicep");
  }

  @Test
  void storageBicep_declaresTheAppsStorageLayout() throws IOException {
    String bicep = Files.readString(STORAGE_BICEP);
    Map<String, List<String>> declared = new HashMap<>();
    for (String kind : List.of("containers", "queues", "tables")) {
      Matcher block = Pattern.compile("var " + kind + " = \\[(.*?)\\]", Pattern.DOTALL).matcher(bicep);
      assertTrue(block.find(), "var " + kind + " in " + ROOT.relativize(STORAGE_BICEP));
      declared.put(kind, Pattern.compile("'([^']+)'").matcher(block.group(1)).results().map(m -> m.group(1)).toList());
    }
    assertEquals(new TreeSet<>(StorageLayout.CONTAINERS), new TreeSet<>(declared.get("containers")), "containers");
    assertEquals(new TreeSet<>(StorageLayout.QUEUES), new TreeSet<>(declared.get("queues")), "queues");
    assertEquals(new TreeSet<>(StorageLayout.TABLES), new TreeSet<>(declared.get("tables")), "tables");
  }

  @Test
  void mainBicep_passesEachModuleItsParametersAndReadsOnlyOutputsItHas() throws IOException {
    // No Bicep compiler here: this catches the mistakes a compiler would, between main and the modules.
    Path main = ROOT.resolve("infra/main.bicep");
    String text = Files.readString(main);
    Matcher module = Pattern.compile("(?m)^module (\\w+) '([^']+)' = \\{").matcher(text);
    Map<String, Path> modules = new LinkedHashMap<>();
    while (module.find()) {
      Path file = main.resolveSibling(module.group(2));
      assertTrue(Files.isRegularFile(file), "module " + module.group(1) + " names missing " + file);
      modules.put(module.group(1), file);
      String moduleText = Files.readString(file);
      Map<String, Boolean> declared = new HashMap<>();
      Pattern.compile("(?m)^param (\\w+) \\w+( = .*)?$").matcher(moduleText).results()
          .forEach(m -> declared.put(m.group(1), m.group(2) != null));
      Set<String> passed = topLevelKeys(block(text, text.indexOf("params: {", module.end())));
      passed.forEach(param -> assertTrue(declared.containsKey(param),
          "main.bicep passes " + param + " to " + module.group(2) + ", which declares no such param"));
      declared.forEach((param, hasDefault) -> assertTrue(hasDefault || passed.contains(param),
          "main.bicep does not pass required param " + param + " to " + module.group(2)));
    }
    assertEquals(Set.of("network", "storage", "monitoring", "eventGrid", "registry", "aks", "functions", "roles"),
        modules.keySet());
    Matcher output = Pattern.compile("\\b(\\w+)\\.outputs\\.(\\w+)").matcher(text);
    while (output.find()) {
      Path file = modules.get(output.group(1));
      assertTrue(file != null, "main.bicep reads outputs of unknown module " + output.group(1));
      assertTrue(Pattern.compile("(?m)^output " + output.group(2) + " ").matcher(Files.readString(file)).find(),
          "main.bicep reads " + output.group(0) + ", which " + ROOT.relativize(file) + " does not output");
    }
    Set<String> mainParams = Pattern.compile("(?m)^param (\\w+) ").matcher(text).results().map(m -> m.group(1))
        .collect(Collectors.toSet());
    Pattern.compile("(?m)^param (\\w+) =").matcher(Files.readString(ROOT.resolve("infra/main.bicepparam"))).results()
        .forEach(m -> assertTrue(mainParams.contains(m.group(1)), "main.bicepparam sets undeclared param " + m.group(1)));
  }

  /** The text of the brace-delimited block opening at {@code open} (a '{' at or after it). */
  private static String block(String text, int open) {
    assertTrue(open >= 0, "no block");
    int start = text.indexOf('{', open);
    int depth = 0;
    for (int i = start; i < text.length(); i++) {
      if (text.charAt(i) == '{') {
        depth++;
      } else if (text.charAt(i) == '}' && --depth == 0) {
        return text.substring(start + 1, i);
      }
    }
    throw new AssertionError("unclosed block at " + start);
  }

  /** The keys of a Bicep object body at its own level (not those of nested objects). */
  private static Set<String> topLevelKeys(String body) {
    Set<String> keys = new TreeSet<>();
    int depth = 0;
    for (String line : body.split("\n")) {
      if (depth == 0) {
        Matcher key = Pattern.compile("^\\s*(\\w+):").matcher(line);
        if (key.find()) {
          keys.add(key.group(1));
        }
      }
      for (char c : line.toCharArray()) {
        depth += c == '{' || c == '[' ? 1 : c == '}' || c == ']' ? -1 : 0;
      }
    }
    return keys;
  }

  /** Every setting name the main code reads, with the first file that reads it. */
  private static Map<String, String> settingsReadByCode() {
    Map<String, String> sources = new TreeMap<>();
    try (Stream<Path> files = Files.walk(MAIN_SOURCES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        sources.put(MAIN_SOURCES.relativize(file).toString().replace('\\', '/'), Files.readString(file));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return settingsRead(sources);
  }

  /** The setting names {@code sources} (path to Java text) read, with the first file that reads each. */
  private static Map<String, String> settingsRead(Map<String, String> sources) {
    // Constants by Class.NAME, and by NAME alone for a reference without its class.
    Map<String, Set<String>> constants = new HashMap<>();
    sources.forEach((file, text) -> {
      String type = file.substring(file.lastIndexOf('/') + 1, file.length() - ".java".length());
      STRING_CONSTANT.matcher(text).results().forEach(m -> {
        constants.computeIfAbsent(type + "." + m.group(1), k -> new TreeSet<>()).add(m.group(2));
        constants.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
      });
    });

    Map<String, String> read = new TreeMap<>();
    sources.forEach((file, text) -> {
      Matcher call = SETTING_CALL.matcher(text);
      while (call.find()) {
        String argument = call.group(1);
        String name;
        if (argument.startsWith("\"")) {
          name = argument.substring(1, argument.length() - 1);
        } else if (Character.isLowerCase(argument.charAt(0)) && !argument.contains(".")) {
          if (!DYNAMIC_READS.containsKey(file)) {
            fail(file + " reads a setting named by variable " + argument + ": use a literal or a constant, or list the"
                + " file in DYNAMIC_READS with where its names come from");
          }
          continue;
        } else {
          String type = file.substring(file.lastIndexOf('/') + 1, file.length() - ".java".length());
          String qualified = argument.contains(".") ? argument.substring(argument.lastIndexOf('.',
              argument.lastIndexOf('.') - 1) + 1) : type + "." + argument;
          Set<String> values = constants.getOrDefault(qualified, constants.getOrDefault(
              argument.substring(argument.lastIndexOf('.') + 1), Set.of()));
          if (values.size() != 1) {
            fail(file + " reads setting " + argument + ", which resolves to " + values
                + " string constants: make it a literal or one static final String");
          }
          name = values.iterator().next();
        }
        read.putIfAbsent(name, file);
      }
      BINDING_CONNECTION.matcher(text).results().forEach(m -> read.putIfAbsent(m.group(1), file + " (binding)"));
    });
    return read;
  }

  /** The Function App's app settings in functions.bicep: name to its Bicep value expression. */
  private static Map<String, String> appSettings() {
    String bicep;
    try {
      bicep = Files.readString(FUNCTIONS_BICEP);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int start = bicep.indexOf("appSettings: [");
    assertTrue(start >= 0, "no appSettings array in " + FUNCTIONS_BICEP);
    int depth = 0;
    int end = -1;
    for (int i = bicep.indexOf('[', start); i < bicep.length(); i++) {
      char c = bicep.charAt(i);
      if (c == '[') {
        depth++;
      } else if (c == ']' && --depth == 0) {
        end = i;
        break;
      }
    }
    assertTrue(end > start, "appSettings array of " + FUNCTIONS_BICEP + " is not closed");
    String block = bicep.substring(start, end);
    Map<String, String> settings = new LinkedHashMap<>();
    Matcher name = BICEP_NAME.matcher(block);
    Pattern value = Pattern.compile("^\\s*value:\\s*(.+?)\\s*$", Pattern.MULTILINE);
    while (name.find()) {
      Matcher v = value.matcher(block);
      String expression = v.find(name.end()) ? v.group(1) : null;
      if (settings.put(name.group(1), expression) != null) {
        fail(FUNCTIONS_BICEP + " sets " + name.group(1) + " twice");
      }
    }
    return settings;
  }

  /** The default value expression of a Bicep {@code var}. */
  private static String defaultOf(String variable, Path bicep) {
    try {
      Matcher m = Pattern.compile("^var " + variable + " = (.+)$", Pattern.MULTILINE).matcher(Files.readString(bicep));
      assertTrue(m.find(), "var " + variable + " in " + bicep);
      return m.group(1).strip();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String unquoted(String bicepString) {
    assertTrue(bicepString != null && bicepString.matches("'[^'$]*'"), "a plain Bicep string literal: " + bicepString);
    return bicepString.substring(1, bicepString.length() - 1);
  }

  /** The documents of the cluster manifest (snakeyaml-engine, which fabric8 brings, reads YAML here). */
  private static List<JsonNode> k8sDocuments() {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> documents = new ArrayList<>();
    try {
      for (Object document : new Load(LoadSettings.builder().build()).loadAllFromString(Files.readString(K8S_YAML))) {
        if (document != null) {
          documents.add(json.valueToTree(document));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return documents;
  }

  private static JsonNode single(List<JsonNode> documents, String kind) {
    List<JsonNode> found = documents.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
    assertEquals(1, found.size(), "one " + kind + " in " + K8S_YAML + ", found " + found.size()
        + " among " + documents.stream().map(d -> d.path("kind").asText()).collect(Collectors.toList()));
    return found.get(0);
  }
}
