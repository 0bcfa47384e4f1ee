// echo_rows_test.cc -- how eddy-bench turns echo rounds into what the
// table and the JSON show: the cross-check's ratio and verdict, and the
// counting round's system calls per message.
#include "echo_rows.h"

#include <gtest/gtest.h>

namespace eddy::bench_tool {
namespace {

EchoInstance instance(const std::string& name) {
  EchoInstance i;
  i.name = name;
  i.size = 1024;
  i.connections = 100;
  i.server.server = "asyncio";
  i.server.kind = EchoKind::kReference;
  return i;
}

EchoResult rounds_of(std::initializer_list<double> cpu_per_msg) {
  EchoResult r;
  for (double v : cpu_per_msg) {
    EchoRound round;
    round.values["cpu_total_us_per_msg"] = v;
    round.values["msgs_per_s"] = 1000;
    r.rounds.push_back(round);
  }
  return r;
}

TEST(EchoRowsTest, ToleranceIsSymmetricAsARatio) {
  EXPECT_TRUE(within_tolerance(4.0, 4.0, 15));
  EXPECT_TRUE(within_tolerance(4.6, 4.0, 15));   // 1.15
  EXPECT_TRUE(within_tolerance(4.0, 4.6, 15));   // the other way round
  EXPECT_FALSE(within_tolerance(4.7, 4.0, 15));  // 1.175
  EXPECT_FALSE(within_tolerance(4.0, 4.7, 15));
  EXPECT_FALSE(within_tolerance(0, 4.0, 15));  // nothing to compare
}

TEST(EchoRowsTest, CrossCheckComparesMediansAndFlagsADisagreement) {
  EchoResults results;
  results.timed["a"] = rounds_of({20.0, 19.0, 21.0});  // the 5x artefact
  results.cross["a"] = rounds_of({4.2, 4.1, 4.3});
  results.timed["b"] = rounds_of({4.0, 4.1, 3.9});
  results.cross["b"] = rounds_of({4.2, 4.3, 4.1});
  std::vector<EchoRow> rows = build_echo_rows({instance("a"), instance("b")}, results, 15);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NEAR(rows[0].cross_ratio, 20.0 / 4.2, 1e-9);
  EXPECT_TRUE(rows[0].disagrees);
  EXPECT_NEAR(rows[1].cross_ratio, 4.0 / 4.2, 1e-9);
  EXPECT_FALSE(rows[1].disagrees);
  EXPECT_FALSE(rows[0].error());  // a disagreement is not an echo error
}

TEST(EchoRowsTest, NoCrossCheckNoVerdict) {
  EchoResults results;
  results.timed["a"] = rounds_of({4.0});
  std::vector<EchoRow> rows = build_echo_rows({instance("a")}, results, 15);
  EXPECT_EQ(rows[0].cross, nullptr);
  EXPECT_EQ(rows[0].cross_ratio, 0);
  EXPECT_FALSE(rows[0].disagrees);
}

TEST(EchoRowsTest, SyscallsPerMessageByName) {
  EchoResults results;
  results.timed["a"] = rounds_of({4.0});
  EchoRound counted;
  counted.values["messages"] = 1000;
  counted.syscalls = {{"recvfrom", 1000}, {"sendto", 1000}, {"mmap", 1000}, {"epoll_wait", 20}};
  results.counted["a"].rounds.push_back(counted);
  std::vector<EchoRow> rows = build_echo_rows({instance("a")}, results, 15);
  EXPECT_NEAR(rows[0].syscalls_per_msg, 3.02, 1e-9);
  ASSERT_EQ(rows[0].syscalls_by_name.size(), 4u);
  EXPECT_EQ(rows[0].syscalls_by_name[2].first, "mmap");
  EXPECT_NEAR(rows[0].syscalls_by_name[2].second, 1.0, 1e-9);
  EXPECT_TRUE(rows[0].syscalls_note.empty());
}

TEST(EchoRowsTest, AnUncountableServerSaysWhy) {
  EchoResults results;
  results.timed["a"] = rounds_of({4.0});
  EchoRound counted;
  counted.values["messages"] = 1000;
  counted.syscalls_error = "perf_event_open on pid 1: Permission denied";
  results.counted["a"].rounds.push_back(counted);
  std::vector<EchoRow> rows = build_echo_rows({instance("a")}, results, 15);
  EXPECT_EQ(rows[0].syscalls_per_msg, 0);
  EXPECT_EQ(rows[0].syscalls_note, "perf_event_open on pid 1: Permission denied");
}

TEST(EchoRowsTest, AnErrorInTheCrossCheckIsARowError) {
  EchoResults results;
  results.timed["a"] = rounds_of({4.0});
  results.cross["a"].error_rounds = 1;
  results.cross["a"].error = "byte 3 of 1024 is 0x00, expected 0x41";
  std::vector<EchoRow> rows = build_echo_rows({instance("a")}, results, 15);
  EXPECT_TRUE(rows[0].error());
}

TEST(EchoRowsTest, AServerFedDifferentlyIsNamed) {
  EchoResults results;
  results.timed["fed"] = rounds_of({4.0});
  results.timed["fed"].rounds[0].values = {{"cpu_total_us_per_msg", 4.0},
                                           {"client_nodelay", 1},
                                           {"server_tcp_connections", 100},
                                           {"server_nodelay_connections", 100}};
  results.timed["slow"] = results.timed["fed"];
  results.timed["slow"].rounds[0].values["server_nodelay_connections"] = 0;
  results.timed["client"] = results.timed["fed"];
  results.timed["client"].rounds[0].values["client_nodelay"] = 0;
  results.timed["unprobed"] = rounds_of({4.0});  // the probe could not look
  std::vector<EchoRow> rows = build_echo_rows(
      {instance("fed"), instance("slow"), instance("client"), instance("unprobed")}, results, 15);
  EXPECT_EQ(rows[0].feed_note, "");
  EXPECT_EQ(rows[1].feed_note, "TCP_NODELAY on 0 of the server's 100 sockets");
  EXPECT_EQ(rows[2].feed_note, "TCP_NODELAY off on a load generator socket");
  EXPECT_EQ(rows[3].feed_note, "");
}

}  // namespace
}  // namespace eddy::bench_tool
