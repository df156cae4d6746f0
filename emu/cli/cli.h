/*
 * cli.h: the commands of the nsemu program (DESIGN §6, docs/cli.md). main.c reads the
 * command name and hands the rest of the command line to one of these; each returns
 * the process exit status.
 */
#ifndef NSEMU_CLI_H
#define NSEMU_CLI_H

#include <stdio.h>

/* Exit statuses of nsemu itself (nsemu run passes the program's through). */
#define CLI_EXIT_OK    0
#define CLI_EXIT_USAGE 2 /* a usage or configuration error */

/* nsemu run [OPTIONS] [--] PROGRAM [ARGS]; argv[0] is "run". */
int cli_run(int argc, char **argv);
void cli_run_usage(FILE *out);

/* nsemu doctor; argv[0] is "doctor". */
int cli_doctor(int argc, char **argv);
void cli_doctor_usage(FILE *out);

#endif /* NSEMU_CLI_H */
