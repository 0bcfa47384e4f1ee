// run_json_test.cc -- how eddy-bench reads and writes its JSON documents
// (tools/eddy_bench/run_json.h): the load generator's line keeps its
// members' order, malformed input and files that are not eddy-bench runs
// give errors that say where and why, reads of the wrong shape fall back
// instead of throwing, and the dump survives NaN and bytes that are not
// UTF-8.
#include "run_json.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace eddy::bench_tool {
namespace {

// A file under /tmp with `text` in it, removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char path[] = "/tmp/run_json_test-XXXXXX";
    int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = path;
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(RunJsonTest, ReadsTheLoadGeneratorsLineInOrder) {
  absl::StatusOr<Json> doc = parse_json(
      R"({"ok": true, "msgs_per_s": 1.5e3, "errors": 0, "error": "a\"b\u00e9\ud83d\ude00",)"
      R"( "syscalls": {"total": 30, "by_name": {"sendto": 20, "recvfrom": 9, "brk": 1}}})");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_TRUE(bool_at(*doc, "/ok"));
  EXPECT_EQ(number_at(*doc, "/msgs_per_s"), 1500);
  EXPECT_EQ(number_at(*doc, "/errors", -1), 0);
  EXPECT_EQ(string_at(*doc, "/error"), "a\"b\xc3\xa9\xf0\x9f\x98\x80");
  // Largest first, as written: the table's breakdown relies on it.
  std::vector<std::string> names;
  for (const auto& [name, n] : object_at(*doc, "/syscalls/by_name").items()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"sendto", "recvfrom", "brk"}));
}

TEST(RunJsonTest, MalformedInputIsAnErrorThatSaysWhere) {
  absl::StatusOr<Json> doc = parse_json("{\"a\": 1,\n \"b\" 2}");
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("line 2"), std::string::npos) << doc.status();
  EXPECT_EQ(doc.status().message().find("[json.exception"), std::string::npos) << doc.status();
  EXPECT_FALSE(parse_json("[1, 2").ok());
  EXPECT_FALSE(parse_json("\"unterminated").ok());
  EXPECT_FALSE(parse_json("{} extra").ok());
  EXPECT_FALSE(parse_json("").ok());
}

TEST(RunJsonTest, ABadRunFileIsAClearError) {
  absl::StatusOr<Json> missing = read_run_file("/nonexistent/run.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("cannot read /nonexistent/run.json"), std::string::npos)
      << missing.status();

  TempFile broken("{\"tool\": \"eddy-bench\",\n \"results\": [1, 2,]}\n");
  absl::StatusOr<Json> run = read_run_file(broken.path());
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.status().message().find(broken.path() + ": parse error at line 2"),
            std::string::npos)
      << run.status();

  // Valid JSON, but Google Benchmark's, not eddy-bench's.
  TempFile other(R"({"context": {}, "benchmarks": []})");
  run = read_run_file(other.path());
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.status().message().find("is not an eddy-bench --json file"), std::string::npos)
      << run.status();

  TempFile good(R"({"tool": "eddy-bench", "results": []})");
  EXPECT_TRUE(read_run_file(good.path()).ok());
}

TEST(RunJsonTest, ReadsOfTheWrongShapeFallBack) {
  absl::StatusOr<Json> doc =
      parse_json(R"({"results": 5, "echo": [1], "name": 3, "p99_us": null})");
  ASSERT_TRUE(doc.ok());
  EXPECT_TRUE(array_at(*doc, "/results").empty());
  EXPECT_TRUE(array_at(*doc, "/echo/results").empty());
  EXPECT_TRUE(array_at(*doc, "/missing/deeper").empty());
  EXPECT_TRUE(object_at(*doc, "/echo").empty());
  EXPECT_EQ(string_at(*doc, "/name"), "");
  EXPECT_TRUE(std::isnan(number_at(*doc, "/p99_us/median")));
  EXPECT_EQ(number_at(*doc, "/results/median_ns", 7), 7);
  EXPECT_FALSE(bool_at(*doc, "/name"));
  EXPECT_TRUE(json_at(*doc, "/nothing").is_null());
}

TEST(RunJsonTest, DumpIsIndentedOrderedAndNeverThrows) {
  Json j;
  j["tool"] = "eddy-bench";
  j["ratio"] = positive_or_null(0);
  j["median"] = number_or_null(std::nan(""));
  j["cores"] = 2;
  j["reason"] = std::string("cut mid-character: \xc3");
  std::string text = dump_json(j);
  EXPECT_EQ(text,
            "{\n"
            "  \"tool\": \"eddy-bench\",\n"
            "  \"ratio\": null,\n"
            "  \"median\": null,\n"
            "  \"cores\": 2,\n"
            "  \"reason\": \"cut mid-character: \xef\xbf\xbd\"\n"
            "}\n");
  absl::StatusOr<Json> back = parse_json(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(number_at(*back, "/cores"), 2);
}

}  // namespace
}  // namespace eddy::bench_tool
