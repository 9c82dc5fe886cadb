/* `emu trace`: inspect and convert trace files (cli/trace_cmd.c, docs/TRACE.md). */
#ifndef CLI_TRACE_CMD_H
#define CLI_TRACE_CMD_H

/* argv[0] is "trace"; returns the exit status. */
int cmd_trace(int argc, char **argv);

#endif
