/*
 * netchannel - the command-line tool: one binary, one subcommand per job.
 */
#include <stdio.h>
#include <string.h>

#include "netchannel.h"

static const struct nc_command commands[] = {
	{ "sim", "the simulator daemon: Xen's store, grants and events on Linux",
	  cmd_sim },
	{ "vif", "add, remove or list a vif's xenstore entries (toolstack)",
	  cmd_vif },
	{ "back", "the backend daemon: serves vifs, bridges them to TAP, "
	  "switch or pcap", cmd_back },
	{ "guest", "a demo guest (netfront + lwIP): ARP, ping, UDP echo, HTTP",
	  cmd_guest },
	{ "stat", "every vif's counters, like ip -s link", cmd_stat },
	{ "demo", "a frontend and a backend in one process, exchanging frames",
	  cmd_demo },
	{ "bench", "frames per second through netfront and netback",
	  cmd_bench },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: netchannel COMMAND [OPTIONS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'netchannel COMMAND --help' describes each one.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "netchannel: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
