package io.realtimeai.deployment.kubernetes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The service's replica ids and the template each runs, kept as an annotation on its Deployment,
 * so that the cluster, not the app, holds the record (a function host that restarts, or another
 * one, reads the same). A Deployment has one pod template: the template of the replica added last;
 * replicas on an older template are the ones a rolling update is replacing, and when those added
 * later are stopped (a failed update), the Deployment goes back to the older template.
 *
 * @param replicas replica ids in the order they were added, each with its template's hash
 * @param templates the templates by hash, only those some replica runs
 */
record ReplicaLedger(List<Entry> replicas, Map<String, ReplicaTemplate> templates) {
  static final String ANNOTATION = "realtime-ai.io/replicas";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One replica id and the hash of its template. */
  record Entry(String id, String template) {}

  ReplicaLedger {
    replicas = List.copyOf(replicas);
    templates = Map.copyOf(templates);
  }

  static ReplicaLedger empty() {
    return new ReplicaLedger(List.of(), Map.of());
  }

  static ReplicaLedger parse(String annotation) {
    if (annotation == null || annotation.isBlank()) {
      return empty();
    }
    try {
      return JSON.readValue(annotation, ReplicaLedger.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("annotation " + ANNOTATION + " is not a replica ledger: " + e.getOriginalMessage(), e);
    }
  }

  String json() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  Optional<Entry> find(String id) {
    return replicas.stream().filter(e -> e.id().equals(id)).findFirst();
  }

  /** This ledger with {@code id} on {@code template}, added last (moved last when it was there on another template). */
  ReplicaLedger with(String id, ReplicaTemplate template) {
    List<Entry> next = new ArrayList<>(replicas);
    next.removeIf(e -> e.id().equals(id));
    next.add(new Entry(id, template.hash()));
    Map<String, ReplicaTemplate> nextTemplates = new LinkedHashMap<>(templates);
    nextTemplates.put(template.hash(), template);
    return pruned(next, nextTemplates);
  }

  ReplicaLedger without(String id) {
    List<Entry> next = new ArrayList<>(replicas);
    next.removeIf(e -> e.id().equals(id));
    return pruned(next, templates);
  }

  /** The template the Deployment's pods are made from: the one of the replica added last. */
  Optional<ReplicaTemplate> current() {
    return replicas.isEmpty() ? Optional.empty() : Optional.of(templates.get(replicas.get(replicas.size() - 1).template()));
  }

  /** How many replicas run template {@code hash}. */
  int count(String hash) {
    return (int) replicas.stream().filter(e -> e.template().equals(hash)).count();
  }

  /**
   * How many pods the Deployment runs: as many as the largest template has replicas. While an
   * update adds the new template's replicas one by one, the Deployment keeps the old count, so
   * that its controller rolls the old pods over to the new template (surging one, never going
   * below) instead of scaling them down to the new replicas started so far.
   */
  int pods() {
    return templates.keySet().stream().mapToInt(this::count).max().orElse(0);
  }

  /** The position of {@code id} among the replicas of its template: replica i is ready when i + 1 of its pods are. */
  int indexAmongTemplate(Entry entry) {
    List<Entry> same = replicas.stream().filter(e -> e.template().equals(entry.template())).toList();
    return same.indexOf(entry);
  }

  List<String> ids() {
    return replicas.stream().map(Entry::id).toList();
  }

  private static ReplicaLedger pruned(List<Entry> entries, Map<String, ReplicaTemplate> templates) {
    Map<String, ReplicaTemplate> used = new LinkedHashMap<>();
    for (Entry entry : entries) {
      used.put(entry.template(), templates.get(entry.template()));
    }
    return new ReplicaLedger(entries, used);
  }
}
