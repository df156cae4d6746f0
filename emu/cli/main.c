/*
 * main.c: the nsemu program (DESIGN §6, docs/cli.md): reads the command and hands the
 * rest of the command line to it. nsemu itself never reads the device configuration
 * in-process, nor starts the library's stack thread: see run.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *out)
{
    fputs("usage: nsemu COMMAND [ARGS...]\n"
          "\n"
          "nsemu runs device programs written against the Mbed OS network-socket API and\n"
          "linked with libnsemu, in a scripted network.\n"
          "\n"
          "commands:\n"
          "  run [OPTIONS] [--] PROGRAM [ARGS...]\n"
          "                run PROGRAM in a scenario, with faults, then summarise its\n"
          "                event log (nsemu run --help)\n"
          "  doctor        what this machine can do: TAP, namespaces, libpcap, root\n"
          "  help [COMMAND]\n"
          "                this text, or a command's\n"
          "\n"
          "options:\n"
          "  --version     print the version\n"
          "  -h, --help    this text\n"
          "\n"
          "Exit status: 0 ok, 2 a usage or configuration error; nsemu run exits with the\n"
          "program's status. See docs/cli.md.\n",
          out);
}

static int help(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "run") == 0) {
        cli_run_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "doctor") == 0) {
        cli_doctor_usage(stdout);
        return CLI_EXIT_OK;
    }
    fprintf(stderr, "nsemu help: no command '%s' (see nsemu --help)\n", argv[1]);
    return CLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    const char *command = argc > 1 ? argv[1] : NULL;

    if (command == NULL) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(command, "--version") == 0) {
        printf("nsemu %s\n", NSEMU_VERSION);
        return CLI_EXIT_OK;
    }
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(command, "help") == 0)
        return help(argc - 1, argv + 1);
    if (strcmp(command, "run") == 0)
        return cli_run(argc - 1, argv + 1);
    if (strcmp(command, "doctor") == 0)
        return cli_doctor(argc - 1, argv + 1);
    fprintf(stderr, "nsemu: unknown command '%s' (see nsemu --help)\n", command);
    return CLI_EXIT_USAGE;
}
