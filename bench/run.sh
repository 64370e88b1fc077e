#!/bin/sh
# make bench: the in-process benchmark at 64 B and 1514 B, 3 runs each,
# interleaved (A B A B ...) because this machine's timing drifts; medians.
set -eu
tool=${1:-./build/netchannel}
for size in 64 1514; do
	: >"/tmp/nc-bench-$size"
done
for rep in 1 2 3; do
	for size in 64 1514; do
		"$tool" bench --size "$size" --seconds 2 | tee -a "/tmp/nc-bench-$size"
	done
done
for size in 64 1514; do
	med=$(sed -n 's/.*mpps=\([0-9.]*\).*/\1/p' "/tmp/nc-bench-$size" | sort -n | sed -n 2p)
	echo "median of 3, in-process, single thread: $size B: $med Mpps"
done
