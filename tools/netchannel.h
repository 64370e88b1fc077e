/* netchannel.h - the subcommands of the `netchannel` tool. */
#ifndef NETCHANNEL_TOOL_H
#define NETCHANNEL_TOOL_H

/* Where the simulator's sockets and the daemons' files live by default. */
#define NC_DEFAULT_RUN_DIR "/run/netchannel"

struct nc_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

int cmd_demo(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_back(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_guest(int argc, char **argv);
int cmd_vif(int argc, char **argv);

#endif
