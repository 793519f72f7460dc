/*
 * shelter-reserve.h — a shelter's side of reserve beds:
 * `shelter-report reserve [confirm | refuse]`.
 */
#ifndef SHELTERD_SHELTER_RESERVE_H
#define SHELTERD_SHELTER_RESERVE_H

int shelter_reserve_main(int argc, char **argv);

#endif
