/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The back-end/VMM demo: blobs, their contents, and the one private
 * message the demo's back-end sends besides SHMEM_MAP/UNMAP.
 *
 * A blob is a memfd the back-end owns.  Page P of blob N starts with the
 * NUL-padded string "blob N page P" (%VSHM_LABEL_LEN bytes); every 32-bit
 * word after it is vshm_blob_word(N, P, i), i the word's index in the page.
 *
 * Steps: after each scripted step the back-end sends a %VSHM_DEMO_STEP
 * message with NEED_REPLY whose payload is the step's title (a NUL
 * terminated string).  It is not a vhost-user request: VHOST_SHMEM_RELAY
 * answers -ENOMSG and the VMM handles it itself: it lets the guest read
 * the whole region, checks what the guest saw, and replies 0 when
 * everything matched, 1 otherwise.  Because the back-end channel is one
 * ordered stream, every MAP/UNMAP sent before the step message has been
 * relayed when the guest reads.
 */
#ifndef VSHM_DEMO_H
#define VSHM_DEMO_H

#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * The demo's page: its real-mode guest and the layout of its region are
 * x86's 4 KiB pages.  vshm_page_check() refuses to run where the host's
 * page (sysconf()) is another size, since MAP works in host pages.
 */
#define VSHM_PAGE		4096
#define VSHM_LABEL_LEN		32
#define VSHM_DEMO_SHMID		0
/* Demo-private request id, far from the ids the specification uses. */
#define VSHM_DEMO_STEP		0x7e57

static inline __u32 vshm_blob_word(__u32 blob, __u32 page, __u32 i)
{
	return (blob * 0x01000193u) ^ (page << 20) ^ (i * 0x9e3779b9u);
}

/* Fill @buf (one page) with page @page of blob @blob. */
static inline void vshm_blob_page(__u32 blob, __u32 page, void *buf)
{
	__u32 *w = buf;
	__u32 i;

	for (i = VSHM_LABEL_LEN / 4; i < VSHM_PAGE / 4; i++)
		w[i] = vshm_blob_word(blob, page, i);
	memset(buf, 0, VSHM_LABEL_LEN);
	snprintf((char *)buf, VSHM_LABEL_LEN, "blob %u page %u", blob, page);
}

/* Sum of the 32-bit words of a page, as the guest's routine computes it. */
static inline __u32 vshm_page_sum(const void *buf)
{
	const __u32 *w = buf;
	__u32 sum = 0, i;

	for (i = 0; i < VSHM_PAGE / 4; i++)
		sum += w[i];
	return sum;
}

/**
 * struct vshm_vmm_stats - what the VMM saw
 * @steps: step messages handled.
 * @relayed: SHMEM_MAP/UNMAP messages the kernel executed.
 * @failed: of those, how many failed (non-zero result).
 * @pages_ok: pages whose data the guest read matched what is mapped.
 * @holes: pages the guest could not read, with nothing mapped there.
 * @bad: pages where the guest saw stale, wrong or missing data.
 */
struct vshm_vmm_stats {
	unsigned int steps;
	unsigned int relayed;
	unsigned int failed;
	unsigned int pages_ok;
	unsigned int holes;
	unsigned int bad;
};

/*
 * Run the VMM on back-end channel @sock until the back-end closes it; once
 * set up, write a byte to @ready_fd (if not -1) and close it.
 * Returns 0 when everything the guest read was right, 1 otherwise, 2 on
 * a set-up or channel failure; 4 when /dev/kvm or /dev/vhost-shmem is
 * missing (a message says which).  Output goes to @out.
 */
int vshm_vmm_run(int sock, int ready_fd, FILE *out,
		 struct vshm_vmm_stats *st);

/*
 * Run the back-end's scripted scenario on @sock, then close it.  Returns 0
 * when every reply was what it expected, 1 otherwise.
 */
int vshm_backend_run(int sock, FILE *out);

/* 0, or -EINVAL (said on @out) where the host's page is not VSHM_PAGE. */
static inline int vshm_page_check(FILE *out)
{
	long page = sysconf(_SC_PAGESIZE);

	if (page == VSHM_PAGE)
		return 0;
	fprintf(out, "the demo lays its region out in %d-byte pages; this host's are %ld\n",
		VSHM_PAGE, page);
	return -EINVAL;
}

#endif /* VSHM_DEMO_H */
