package io.realtimeai.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineThreadsTest {
  @TempDir Path root;

  private Path proc() {
    return root.resolve("proc");
  }

  private Path cgroup() {
    return root.resolve("cgroup");
  }

  private void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }

  private void affinity(String list) throws IOException {
    write(proc().resolve("self/status"), "Name:\tjava\nCpus_allowed:\tff\nCpus_allowed_list:\t" + list + "\n");
  }

  @Test
  void detect_v2MaxMeansNoQuota() throws IOException {
    affinity("0-1");
    write(proc().resolve("self/cgroup"), "0::/\n");
    write(cgroup().resolve("cpu.max"), "max 100000\n");

    EngineThreads threads = EngineThreads.detect(proc(), cgroup(), 16);

    assertThat(threads.quota()).isEmpty();
    assertThat(threads.intraOpThreads()).isEqualTo(2);
    assertThat(threads.describe())
        .isEqualTo("2 intra-op threads (2 usable cores: affinity 2, cgroup quota none)");
  }

  @Test
  void detect_v2FractionalQuotaRoundsUp() throws IOException {
    affinity("0-7");
    write(proc().resolve("self/cgroup"), "0::/kubepods/pod1/c1\n");
    write(cgroup().resolve("kubepods/pod1/c1/cpu.max"), "150000 100000\n");

    EngineThreads threads = EngineThreads.detect(proc(), cgroup(), 8);

    assertThat(threads.quota()).isEqualTo(OptionalInt.of(2));
    assertThat(threads.usableCores()).isEqualTo(2);
    assertThat(threads.intraOpThreads()).isEqualTo(2);
  }

  @Test
  void detect_v1QuotaLimitsCores() throws IOException {
    affinity("0-15");
    write(proc().resolve("self/cgroup"), "3:cpuset:/\n2:cpu,cpuacct:/docker/abc\n0::/\n");
    write(cgroup().resolve("cpu/docker/abc/cpu.cfs_quota_us"), "600000\n");
    write(cgroup().resolve("cpu/docker/abc/cpu.cfs_period_us"), "100000\n");

    EngineThreads threads = EngineThreads.detect(proc(), cgroup(), 16);

    assertThat(threads.usableCores()).isEqualTo(6);
    assertThat(threads.intraOpThreads()).as("one core left for gRPC above 4").isEqualTo(5);
  }

  @Test
  void detect_v1MinusOneQuotaMeansNone() throws IOException {
    affinity("0-3");
    write(cgroup().resolve("cpu/cpu.cfs_quota_us"), "-1\n");
    write(cgroup().resolve("cpu/cpu.cfs_period_us"), "100000\n");

    EngineThreads threads = EngineThreads.detect(proc(), cgroup(), 4);

    assertThat(threads.quota()).isEmpty();
    assertThat(threads.intraOpThreads()).isEqualTo(4);
  }

  @Test
  void detect_affinitySmallerThanQuotaWins() throws IOException {
    affinity("2,5");
    write(proc().resolve("self/cgroup"), "0::/\n");
    write(cgroup().resolve("cpu.max"), "800000 100000\n");

    EngineThreads threads = EngineThreads.detect(proc(), cgroup(), 16);

    assertThat(threads.affinity()).isEqualTo(2);
    assertThat(threads.quota()).isEqualTo(OptionalInt.of(8));
    assertThat(threads.intraOpThreads()).isEqualTo(2);
  }

  @Test
  void detect_garbageFilesFallBackWithReason() throws IOException {
    write(proc().resolve("self/status"), "Cpus_allowed_list:\tnonsense\n");
    write(proc().resolve("self/cgroup"), "0::/\n");
    write(cgroup().resolve("cpu.max"), "lots of cores\n");

    EngineThreads threads = EngineThreads.detect(proc(), cgroup(), 3);

    assertThat(threads.affinity()).as("the JVM's count").isEqualTo(3);
    assertThat(threads.quota()).isEmpty();
    assertThat(threads.intraOpThreads()).isEqualTo(3);
    assertThat(threads.describe()).contains("affinity from the JVM").contains("quota ignored");
  }

  @Test
  void detect_missingFilesUseTheJvmCount() {
    EngineThreads threads = EngineThreads.detect(proc(), cgroup(), 6);

    assertThat(threads.usableCores()).isEqualTo(6);
    assertThat(threads.intraOpThreads()).isEqualTo(5);
  }

  @Test
  void parseCpuList_countsRangesAndSingles() {
    assertThat(EngineThreads.parseCpuList("0-3,8,10-11")).isEqualTo(7);
  }

  @Test
  void choose_zeroIsTheMachinesChoiceAndACountOverridesIt() {
    EngineThreads machine = EngineThreads.detect();
    assertThat(EngineThreads.choose(0)).isEqualTo(machine);

    EngineThreads three = EngineThreads.choose(3);
    assertThat(three.intraOpThreads()).isEqualTo(3);
    assertThat(three.usableCores()).isEqualTo(machine.usableCores());
    assertThat(three.describe()).isEqualTo("3 intra-op threads (set by --intra-op-threads; " + machine.usableCores()
        + " usable cores)");
  }

  @Test
  void detect_thisMachineGivesAtLeastOneThread() {
    assertThat(EngineThreads.detect().intraOpThreads()).isPositive();
  }
}
