/* cmds.h - the subcommands of the ratmem command, one function each, called
 * by the dispatcher (tools/main.c) with argv[0] set to the subcommand's
 * name.  Each returns the process's exit status. */
#ifndef RATMEM_TOOLS_CMDS_H
#define RATMEM_TOOLS_CMDS_H

int ratmem_diff_main(int argc, char **argv);    /* argv[0] = "diff" */
int ratmem_report_main(int argc, char **argv);  /* argv[0] = "report" */

/* The launcher: ratmem [options] [--] program [args...] (tools/launch.c);
 * argv[0] is the command's own name. */
int ratmem_launch_main(int argc, char **argv);

#endif
