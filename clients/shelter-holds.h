#ifndef SHELTERD_SHELTER_HOLDS_H
#define SHELTERD_SHELTER_HOLDS_H

/* `shelter-report holds|accept|decline ...`; argv[0] is the command. */
int shelter_holds_main(int argc, char **argv);

#endif
