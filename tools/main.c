/* main.c - the ratmem command: a dispatcher of subcommands (cmds.h).
 * "ratmem diff ..." and the other subcommands are named by the first
 * argument; anything else runs a program under the shim (launch.c). */
#include "config.h"
#include <string.h>
#include "cmds.h"

static const struct {
    const char *name;
    int (*run)(int, char **);
} subcommands[] = {
    { "diff", ratmem_diff_main },
    { "report", ratmem_report_main },
};

int main(int argc, char **argv)
{
    if (argc > 1)
        for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
            if (strcmp(argv[1], subcommands[i].name) == 0)
                return subcommands[i].run(argc - 1, argv + 1);
    return ratmem_launch_main(argc, argv);
}
