/* Subcommands of the command line; each gets argv with argv[0] = its own name. */
#ifndef SN_CLI_H
#define SN_CLI_H

/* Exit statuses, documented in the README. */
enum {
    SN_EXIT_OK = 0,      /* success, nothing skipped */
    SN_EXIT_FAIL = 1,    /* the command failed (bad file, bad model, I/O error) */
    SN_EXIT_USAGE = 2,   /* bad command line */
    SN_EXIT_SKIPPED = 3, /* completed, but some input records were bad and skipped */
};

typedef struct sn_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} sn_command;

int sn_cmd_generate(int argc, char **argv);
int sn_cmd_iforest(int argc, char **argv);
int sn_cmd_train(int argc, char **argv);
int sn_cmd_detect(int argc, char **argv);
int sn_cmd_eval(int argc, char **argv);
int sn_cmd_users(int argc, char **argv);
int sn_cmd_user_risk(int argc, char **argv);
int sn_cmd_roles(int argc, char **argv);
int sn_cmd_serve(int argc, char **argv);
int sn_cmd_audit(int argc, char **argv);
int sn_cmd_keys(int argc, char **argv);
int sn_cmd_user(int argc, char **argv);
int sn_cmd_retention(int argc, char **argv);
int sn_cmd_backup(int argc, char **argv);
/* `sentinel keys rotate` (argv[0] is the subcommand's name). */
int sn_cmd_keys_rotate(int argc, char **argv);
int sn_cmd_predict(int argc, char **argv);

#endif
