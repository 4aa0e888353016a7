package io.realtimeai.host;

import io.realtimeai.app.App;
import io.realtimeai.app.AppSettings;
import io.realtimeai.host.http.HttpListener;
import io.realtimeai.host.triggers.QueueTriggerListener;
import io.realtimeai.host.triggers.TriggerListeners;
import io.realtimeai.storage.Storage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The local Functions host: it reads the app folder as the Azure Functions host does (every
 * {@code function.json}, {@code host.json}, {@code local.settings.json}), checks each function
 * against its annotations, and serves every trigger with the real host's semantics. It holds no
 * business logic: it only turns triggers into invocations of the same classes Azure runs.
 */
public final class LocalHost implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(LocalHost.class.getName());

  /**
   * How the local host runs.
   *
   * @param httpPort the HTTP port; 0 picks a free one; negative takes {@code Host.LocalHttpPort}
   * @param blobPollInterval how often blob containers are scanned
   * @param hostId the id that keys blob receipts (one per app, as the Functions host's)
   * @param shutdownGrace how long a stop waits for invocations in flight
   * @param localValues settings that override local.settings.json's (a stack on its own Azurite)
   */
  public record Options(int httpPort, Duration blobPollInterval, String hostId, Duration shutdownGrace,
      Map<String, String> localValues) {
    public Options {
      localValues = Map.copyOf(localValues);
    }

    /** Port from local.settings.json, blobs scanned every second, 30 s to finish in-flight work. */
    public static Options defaults() {
      return new Options(-1, Duration.ofSeconds(1), "realtime-ai-local", Duration.ofSeconds(30), Map.of());
    }

    /** These options on another HTTP port. */
    public Options withHttpPort(int port) {
      return new Options(port, blobPollInterval, hostId, shutdownGrace, localValues);
    }

    /** These options with another blob scan interval. */
    public Options withBlobPollInterval(Duration interval) {
      return new Options(httpPort, interval, hostId, shutdownGrace, localValues);
    }

    /** These options with settings that override local.settings.json's. */
    public Options withLocalValues(Map<String, String> values) {
      return new Options(httpPort, blobPollInterval, hostId, shutdownGrace, values);
    }
  }

  private final List<FunctionDescriptor> functions;
  private final List<TriggerListener> listeners;
  private final HttpListener http;
  private final Options options;

  private LocalHost(List<FunctionDescriptor> functions, List<TriggerListener> listeners, HttpListener http, Options options) {
    this.functions = functions;
    this.listeners = listeners;
    this.http = http;
    this.options = options;
  }

  /**
   * Reads the app folder and starts every listener.
   *
   * @throws IllegalStateException when a function.json disagrees with its annotations, or a
   *     trigger type is not one the local host serves
   */
  public static LocalHost start(Path appDir, Options options) throws Exception {
    HostConfig config = HostConfig.read(appDir.resolve("host.json"));
    LocalSettings settings = LocalSettings.read(appDir.resolve("local.settings.json"));
    AppSettings.putLocal(settings.values());
    AppSettings.putLocal(options.localValues());
    List<FunctionDescriptor> functions = FunctionIndex.load(appDir, LocalHost.class.getClassLoader());
    // The app's own storage first: its layout is created, and an unreachable account fails here, clearly.
    App.get();
    Map<String, Storage> storages = new ConcurrentHashMap<>();
    OutputBindings outputs = new OutputBindings(connection -> storage(storages, connection));
    List<FunctionInvoker> httpFunctions = new ArrayList<>();
    List<TriggerListener> listeners = new ArrayList<>();
    for (FunctionDescriptor function : functions) {
      FunctionInvoker invoker = FunctionInvoker.of(function, LocalHost.class.getClassLoader(), outputs);
      Binding trigger = function.trigger();
      if (trigger.type().equals("httpTrigger")) {
        httpFunctions.add(invoker);
      } else {
        TriggerListener listener = TriggerListeners.forFunction(invoker, storage(storages, connection(trigger)), config,
            options.hostId(), options.blobPollInterval()).orElseThrow(() -> new IllegalStateException("function "
                + function.name() + ": trigger type '" + trigger.type() + "' is not served by the local host"
                + " (http, blob, queue and timer triggers are)"));
        if (listener instanceof QueueTriggerListener queue) {
          outputs.watch(connection(trigger), trigger.string("queueName"), queue::wake);
        }
        listeners.add(listener);
      }
    }
    int port = options.httpPort() < 0 ? settings.httpPort() : options.httpPort();
    HttpListener http = new HttpListener(config, port, httpFunctions);
    listeners.add(0, http);
    LocalHost host = new LocalHost(functions, listeners, http, options);
    List<TriggerListener> started = new ArrayList<>();
    try {
      for (TriggerListener listener : listeners) {
        listener.start();
        started.add(listener);
      }
    } catch (Exception e) {
      new LocalHost(functions, started, http, options).stop(Duration.ofSeconds(5));
      throw e;
    }
    LOG.info(() -> "local host serving " + functions.size() + " functions, HTTP on port " + http.port());
    return host;
  }

  /** The setting a binding's {@code connection} names, {@code AzureWebJobsStorage} when it names none. */
  private static String connection(Binding binding) {
    return binding.string("connection") == null ? AppSettings.STORAGE : binding.string("connection");
  }

  private static Storage storage(Map<String, Storage> storages, String setting) {
    return storages.computeIfAbsent(setting, name -> Storage.connect(AppSettings.get(name).orElseThrow(
        () -> new IllegalStateException("binding connection setting " + name + " is not set"))));
  }

  /** The functions served. */
  public List<FunctionDescriptor> functions() {
    return functions;
  }

  /** The bound HTTP port. */
  public int httpPort() {
    return http.port();
  }

  /**
   * Stops every listener taking new work at once, then waits up to {@code grace} for the
   * invocations in flight to finish.
   */
  public void stop(Duration grace) throws InterruptedException {
    // A thread each, not a shared pool: every listener stops taking work at once, and its grace runs from now,
    // however many of them wait on invocations in flight.
    List<Thread> stopping = new ArrayList<>();
    for (TriggerListener listener : listeners) {
      Thread thread = new Thread(() -> {
        try {
          listener.stop(grace);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
          LOG.warning("a listener failed to stop cleanly: " + e.getMessage());
        }
      }, "stop-" + listener.getClass().getSimpleName());
      thread.start();
      stopping.add(thread);
    }
    for (Thread thread : stopping) {
      thread.join();
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop(options.shutdownGrace());
  }
}
