// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmarks of command submission on a Gaudi (emulated or real): CS round-trip latency,
 * CS throughput for 1..N submitting threads of one process and 1..N processes sharing the
 * open file (Gaudi has one compute context per device), and DMA bandwidth between host
 * memory and HBM next to a plain memcpy of the same size. Every figure comes with its spread: median,
 * 10th and 90th percentile, min and max over the repetitions. Compare figures as ratios
 * within one run; absolute numbers depend on the machine and its load.
 *
 *   hl_bench latency COUNT
 *   hl_bench throughput MAX_PROCS CS_PER_PROC REPEATS
 *   hl_bench bandwidth SIZE REPEATS
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <drm/drm.h>
#include <drm/habanalabs_accel.h>

#define HBM_USER	0x20000000ull
#define IN_FLIGHT	64

static const char *node = "/dev/accel/accel0";

static void die(const char *what)
{
	fprintf(stderr, "hl_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Prints "median (p10 .. p90, min .. max) UNIT" of n samples. */
static void spread(const char *what, double *v, int n, const char *unit)
{
	qsort(v, n, sizeof(*v), cmp);
	printf("%-34s median %10.2f %s  (p10 %.2f .. p90 %.2f, min %.2f .. max %.2f, n=%d)\n",
	       what, v[n / 2], unit, v[n / 10], v[n * 9 / 10], v[0], v[n - 1], n);
}

struct cb {
	uint64_t handle;
	uint32_t *p;
	uint32_t len;
};

static void cb_new(int fd, struct cb *cb)
{
	union hl_cb_args a;

	memset(&a, 0, sizeof(a));
	a.in.op = HL_CB_OP_CREATE;
	a.in.cb_size = 4096;
	if (ioctl(fd, DRM_IOCTL_HL_CB, &a))
		die("CB CREATE");
	cb->handle = a.out.cb_handle;
	cb->p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)cb->handle);
	if (cb->p == MAP_FAILED)
		die("mmap CB");
	cb->len = 0;
}

static void cb_free(int fd, struct cb *cb)
{
	union hl_cb_args a;

	munmap(cb->p, 4096);
	memset(&a, 0, sizeof(a));
	a.in.op = HL_CB_OP_DESTROY;
	a.in.cb_handle = cb->handle;
	if (ioctl(fd, DRM_IOCTL_HL_CB, &a))
		die("CB DESTROY");
}

static void nop(struct cb *cb)
{
	cb->p[cb->len / 4] = 0;
	cb->p[cb->len / 4 + 1] = 0xAu << 24;
	cb->len += 8;
}

static void lin_dma(struct cb *cb, uint64_t src, uint64_t dst, uint32_t size)
{
	uint32_t *w = cb->p + cb->len / 4;

	w[0] = size;
	w[1] = (0x9u << 24) | (1u << 3) | (1u << 29);
	memcpy(&w[2], &src, 8);
	memcpy(&w[4], &dst, 8);
	cb->len += 24;
}

static uint64_t submit(int fd, struct cb *cb, uint32_t queue)
{
	struct hl_cs_chunk c;
	union hl_cs_args a;

	memset(&c, 0, sizeof(c));
	c.cb_handle = cb->handle;
	c.cb_size = cb->len;
	c.queue_index = queue;
	memset(&a, 0, sizeof(a));
	a.in.chunks_execute = (uintptr_t)&c;
	a.in.num_chunks_execute = 1;
	while (ioctl(fd, DRM_IOCTL_HL_CS, &a)) {
		if (errno != EAGAIN)
			die("CS");
		usleep(100);
	}
	return a.out.seq;
}

static void wait_cs(int fd, uint64_t seq)
{
	union hl_wait_cs_args a;

	memset(&a, 0, sizeof(a));
	a.in.seq = seq;
	a.in.timeout_us = 30000000;
	if (ioctl(fd, DRM_IOCTL_HL_WAIT_CS, &a) || a.out.status != HL_WAIT_CS_STATUS_COMPLETED)
		die("WAIT_CS");
}

static uint64_t map(int fd, void *buf, uint64_t size)
{
	union hl_mem_args a;

	memset(&a, 0, sizeof(a));
	a.in.op = HL_MEM_OP_MAP;
	a.in.flags = HL_MEM_USERPTR;
	a.in.map_host.host_virt_addr = (uintptr_t)buf;
	a.in.map_host.mem_size = size;
	if (ioctl(fd, DRM_IOCTL_HL_MEMORY, &a))
		die("MAP");
	return a.out.device_virt_addr;
}

static int latency(int count)
{
	int fd = open(node, O_RDWR);
	double *v = calloc(count, sizeof(double));
	struct cb cb;

	if (fd < 0)
		die("open");
	cb_new(fd, &cb);
	nop(&cb);
	for (int i = 0; i < count; i++) {
		double t = now_s();

		wait_cs(fd, submit(fd, &cb, 0));
		v[i] = (now_s() - t) * 1e6;
	}
	spread("CS round trip (submit + wait)", v, count, "us");
	return 0;
}

/* One submitter: `n` CSs with up to IN_FLIGHT outstanding; returns CS per second. */
static double submitter(int fd, int n, uint32_t queue)
{
	uint64_t seqs[IN_FLIGHT];
	struct cb cb;
	double t;

	cb_new(fd, &cb);
	nop(&cb);
	t = now_s();
	for (int i = 0; i < n; i++) {
		if (i >= IN_FLIGHT)
			wait_cs(fd, seqs[i % IN_FLIGHT]);
		seqs[i % IN_FLIGHT] = submit(fd, &cb, queue);
	}
	for (int i = n > IN_FLIGHT ? n - IN_FLIGHT : 0; i < n; i++)
		wait_cs(fd, seqs[i % IN_FLIGHT]);
	t = n / (now_s() - t);
	cb_free(fd, &cb);
	return t;
}

struct job {
	int fd, per;
	uint32_t queue;
};

static void *submitter_thread(void *arg)
{
	struct job *j = arg;

	submitter(j->fd, j->per, j->queue);
	return NULL;
}

static int throughput(int max_procs, int per, int repeats)
{
	int fd = open(node, O_RDWR);

	if (fd < 0)
		die("open");
	for (int procs = 1; procs <= max_procs; procs *= 2) {
		double *v = calloc(repeats, sizeof(double));
		struct job jobs[64];
		pthread_t th[64];
		char what[64];

		for (int r = 0; r < repeats; r++) {
			double t = now_s();

			for (int p = 0; p < procs; p++) {
				jobs[p] = (struct job){ fd, per, p % 8 };
				if (pthread_create(&th[p], NULL, submitter_thread, &jobs[p]))
					die("pthread_create");
			}
			for (int p = 0; p < procs; p++)
				pthread_join(th[p], NULL);
			v[r] = procs * per / (now_s() - t);
		}
		snprintf(what, sizeof(what), "CS throughput, %d thread(s)", procs);
		spread(what, v, repeats, "CS/s");
	}
	for (int procs = 1; procs <= max_procs; procs *= 2) {
		double *v = calloc(repeats, sizeof(double));
		char what[64];

		for (int r = 0; r < repeats; r++) {
			double t = now_s();
			int status;

			for (int p = 0; p < procs; p++) {
				/* Processes of one context share the open file (one per device). */
				if (fork() == 0) {
					submitter(fd, per, p % 8);
					_exit(0);
				}
			}
			for (int p = 0; p < procs; p++) {
				wait(&status);
				if (!WIFEXITED(status) || WEXITSTATUS(status))
					exit(1);
			}
			v[r] = procs * per / (now_s() - t);
		}
		snprintf(what, sizeof(what), "CS throughput, %d process(es)", procs);
		spread(what, v, repeats, "CS/s");
		free(v);
	}
	return 0;
}

static int bandwidth(size_t size, int repeats)
{
	int fd = open(node, O_RDWR);
	uint8_t *a = aligned_alloc(4096, size), *b = aligned_alloc(4096, size);
	double *h2d = calloc(repeats, sizeof(double)), *d2h = calloc(repeats, sizeof(double));
	double *cpy = calloc(repeats, sizeof(double));
	uint64_t va, vb;
	struct cb up, down;
	char what[64];

	if (fd < 0)
		die("open");
	memset(a, 1, size);
	memset(b, 2, size);
	va = map(fd, a, size);
	vb = map(fd, b, size);
	cb_new(fd, &up);
	lin_dma(&up, va, HBM_USER, size);
	cb_new(fd, &down);
	lin_dma(&down, HBM_USER, vb, size);
	for (int r = 0; r < repeats; r++) {
		double t = now_s();

		wait_cs(fd, submit(fd, &up, 0));
		h2d[r] = size / (now_s() - t) / 1e6;
		t = now_s();
		wait_cs(fd, submit(fd, &down, 4));
		d2h[r] = size / (now_s() - t) / 1e6;
		t = now_s();
		memcpy(b, a, size);
		cpy[r] = size / (now_s() - t) / 1e6;
	}
	snprintf(what, sizeof(what), "DMA host -> HBM, %zu KiB", size >> 10);
	spread(what, h2d, repeats, "MB/s");
	snprintf(what, sizeof(what), "DMA HBM -> host, %zu KiB", size >> 10);
	spread(what, d2h, repeats, "MB/s");
	snprintf(what, sizeof(what), "memcpy in the guest, %zu KiB", size >> 10);
	spread(what, cpy, repeats, "MB/s");
	return 0;
}

int main(int argc, char **argv)
{
	if (getenv("HL_NODE"))
		node = getenv("HL_NODE");
	if (argc == 3 && !strcmp(argv[1], "latency"))
		return latency(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "throughput") && atoi(argv[2]) <= 64)
		return throughput(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "bandwidth"))
		return bandwidth(strtoul(argv[2], NULL, 0), atoi(argv[3]));
	fprintf(stderr, "usage: hl_bench latency COUNT | throughput MAX_PROCS CS_PER_PROC "
		"REPEATS | bandwidth SIZE REPEATS\n");
	return 2;
}
