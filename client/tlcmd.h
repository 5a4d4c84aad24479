/* tlcmd.h -- `latlab-client timeline PATH.csv... -o OUT.svg`: request CSVs (the client's and
 * the labs') drawn in one picture. */
#ifndef LATLAB_TLCMD_H
#define LATLAB_TLCMD_H

/* Runs the subcommand on argv[1..argc) (argv[0] is "timeline"). Returns the exit status: 0
 * written, 1 a file could not be read or written, 2 a usage error. */
int tlcmd_main(int argc, char **argv);

#endif
