// Package cputime reads the CPU time the process has used. On a shared
// machine it measures the work done, where wall time also counts waiting for
// a core; the benchmarks report both.
package cputime
