/* Every command of the CLI: one function per file, listed in main.c's table.
 * A command that needs the profile parses its arguments first, then asks
 * for it with cli_unlock. */
#ifndef ENL_CLI_COMMANDS_H
#define ENL_CLI_COMMANDS_H

#include "cli/cli.h"

int cmd_init(int argc, char **argv);
int cmd_card(int argc, char **argv);
int cmd_contact(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_listen(int argc, char **argv);
int cmd_inbox(int argc, char **argv);
int cmd_open(int argc, char **argv);
int cmd_passphrase(int argc, char **argv);
int cmd_wipe(int argc, char **argv);
int cmd_burn(int argc, char **argv);
int cmd_revocation(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_paper(int argc, char **argv);
int cmd_cell(int argc, char **argv);
int cmd_bulletin(int argc, char **argv);
int cmd_bulletins(int argc, char **argv);
int cmd_files(int argc, char **argv);
int cmd_introduce(int argc, char **argv);
int cmd_introductions(int argc, char **argv);
void cli_print_evicted(const enl_sync_stats *s);
void cli_print_arrivals(const enl_sync_stats *s);
void cli_print_invitations(enl_profile *p, const enl_sync_stats *s);
int cmd_ask(int argc, char **argv);
int cmd_questions(int argc, char **argv);
int cmd_answer(int argc, char **argv);
int cmd_answers(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);

/* getopt_long over a command's options with --help handled: returns the
 * option character, -1 at the end of options, or -2 when the caller must
 * return *exit_code (after --help or a usage error). command names the
 * command in error lines; its first word is the command table's entry
 * ("cell add": errors begin "enlace: cell add: ", --help is cell's). */
struct option;
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
               const char *command, int *exit_code);

#endif
