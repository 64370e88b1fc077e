# bench/pairs.bash - sourced by ab.sh and queues.sh: the summary of runs
# taken in pairs.  FILE holds lines "SIZE A B" (NA where a run failed).
# pair_stat FILE COLUMN SIZE prints "median [min-max]" of column 2 (A),
# column 3 (B), or, for COLUMN 4, of the per-pair ratios B/A.
pair_stat() {
	awk -v c="$2" -v s="$3" '$1 == s && $2 != "NA" && $3 != "NA" {
		print (c == 4 ? ($2 > 0 ? $3 / $2 : 0) : $c) }' "$1" |
		sort -g | awk '{ v[NR] = $1 } END {
			if (!NR) { print "NA"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.3f [%.3f-%.3f]\n", m, v[1], v[NR] }'
}
