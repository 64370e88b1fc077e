/*
 * queues.h - the tools' queue count (multi-queue): by default one queue
 * per online CPU, as Linux's netfront and netback choose, at most
 * NC_MAX_QUEUES; --queues N within 1..NC_MAX_QUEUES.
 */
#ifndef NETCHANNEL_TOOL_QUEUES_H
#define NETCHANNEL_TOOL_QUEUES_H

unsigned nc_tool_default_queues(void);
/* 0 with *out set, or -1 (message on stderr) for anything but 1..max. */
int nc_tool_parse_queues(const char *s, unsigned *out);

#endif
