/* netchannel.h - the subcommands of the `netchannel` tool. */
#ifndef NETCHANNEL_TOOL_H
#define NETCHANNEL_TOOL_H

struct nc_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

int cmd_demo(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_vif(int argc, char **argv);

#endif
