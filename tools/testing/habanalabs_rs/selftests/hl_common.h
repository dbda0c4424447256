/* SPDX-License-Identifier: GPL-2.0 */
/* What the selftest sources share: failure reporting and the node's basic ioctls. */
#ifndef HL_COMMON_H
#define HL_COMMON_H

#include <stddef.h>
#include <stdint.h>

extern int failed;
extern const char *node;

void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define EXPECT(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)

int open_node(void);
int info(int fd, uint32_t op, void *buf, uint32_t size, uint32_t arg);
int info_union(int fd, uint32_t op, void *buf, uint32_t size, uint32_t *arg);
int engine_status(int fd, char *buf, uint32_t size, uint32_t *actual);
int status_pieces_fill(const char *buf, uint32_t actual);
int mem(int fd, uint32_t op, uint64_t w0, uint64_t w1, uint64_t w2, uint32_t flags,
	uint64_t *out);
int map_host(int fd, void *buf, uint64_t size, uint64_t hint, uint32_t flags, uint64_t *va);
int unmap(int fd, uint64_t va);
void *buffer(size_t size, size_t align);

/* Runs the command-submission check argv[1] names; -1 if it names none. */
int cs_main(int argc, char **argv);

#endif
