/* `emu replay`: push a trace through the models of a configuration (cli/replay_cmd.c). */
#ifndef CLI_REPLAY_CMD_H
#define CLI_REPLAY_CMD_H

/* argv[0] is "replay"; returns the exit status. */
int cmd_replay(int argc, char **argv);

#endif
