// table.h -- what eddy-bench prints on stdout: the set-up block before the
// run, and the side-by-side table after it.
//
// Table: one row per workload, one column per backend. A cell is the median
// time per operation over the rounds, "±N%" (every round lies within N% of
// that median) and the ratio to the fastest cell of the row (1.00×).
//
// Thread-safety: writes to the given stream; call from one thread.
#ifndef EDDY_TOOLS_EDDY_BENCH_TABLE_H_
#define EDDY_TOOLS_EDDY_BENCH_TABLE_H_

#include <cstdio>
#include <string>
#include <vector>

#include "options.h"
#include "rows.h"
#include "setup.h"
#include "skipped.h"

namespace eddy::bench_tool {

// `echo_line` describes the TCP echo runs ("" when there are none).
void print_setup(std::FILE* out, const Setup& setup, const Options& options,
                 const std::vector<std::string>& columns, const std::vector<Skipped>& skipped,
                 const std::string& echo_line);

void print_table(std::FILE* out, const std::vector<Row>& rows,
                 const std::vector<std::string>& columns, int rounds);

// The cell's text, as printed: "4.36 ns ±3% 1.27×", "error" or "-".
std::string cell_text(const Cell* cell);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_TABLE_H_
