// SPDX-License-Identifier: GPL-2.0
/*
 * The demo's VMM: a minimal KVM VMM built on libvshm.  One region of 64 KiB
 * (what the real-mode guest reaches through DS), its window registered once as a
 * KVM memory slot, one vCPU.  It relays every SHMEM_MAP/UNMAP the back-end
 * sends through the kernel, and at each of the back-end's step messages
 * (see demo.h) has the guest read every page of the region and
 * checks what it read against what should be mapped there:
 *
 *  - before relaying a MAP, the VMM reads the pages it names from the
 *    back-end's file, and after a successful relay records their leading
 *    string and checksum per region page; an UNMAP clears them;
 *  - the guest reads each page's first 32 bytes and sums its 1024 words
 *    (vshm_guest_sum32()); a page with nothing mapped makes KVM_RUN fail
 *    with EFAULT: "hole";
 *  - data where nothing should be mapped (a stale page), other data than
 *    what was mapped, or a hole where something is mapped, count as bad,
 *    and the VMM exits non-zero.
 *
 *   vshm-demo vmm --fd N          use inherited socket N as the back-end channel
 *   vshm-demo vmm --listen PATH   accept one back-end on unix socket PATH
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "libvshm.h"
#include "demo.h"
#include "guest.h"

#define REGION_SIZE	VSHM_GUEST_WINDOW_MAX
#define NR_PAGES	(REGION_SIZE / VSHM_PAGE)
#define WINDOW_SLOT	1	/* vshm_guest's RAM is slot 0 */

struct page_model {
	bool mapped;
	bool known;
	char label[VSHM_LABEL_LEN];
	__u32 sum;
};

struct vmm {
	struct libvshm v;
	struct libvshm_region region;
	struct vshm_guest guest;
	struct page_model pages[NR_PAGES];
	struct page_model pending[NR_PAGES];
	struct vshm_vmm_stats *st;
	FILE *out;
	int sock;
};

/* What a MAP will put where, read from the back-end's file beforehand. */
static void prepare_map(struct vmm *vmm, const struct libvshm_msg *m)
{
	struct vhost_shmem_user_mmap mm;
	char buf[VSHM_PAGE];
	__u64 i, first;

	memset(vmm->pending, 0, sizeof(vmm->pending));
	if (m->request != VHOST_SHMEM_USER_BACKEND_SHMEM_MAP || m->fd < 0 ||
	    !libvshm_msg_mmap(m, &mm) || mm.shmid != VSHM_DEMO_SHMID ||
	    mm.shm_offset >= REGION_SIZE || mm.len > REGION_SIZE - mm.shm_offset)
		return;
	first = mm.shm_offset / VSHM_PAGE;
	for (i = 0; i < mm.len / VSHM_PAGE; i++) {
		struct page_model *p = &vmm->pending[first + i];

		p->mapped = true;
		if (pread(m->fd, buf, sizeof(buf),
			  mm.fd_offset + i * VSHM_PAGE) != sizeof(buf))
			continue;
		p->known = true;
		memcpy(p->label, buf, sizeof(p->label));
		p->sum = vshm_page_sum(buf);
	}
}

static void commit(struct vmm *vmm, const struct libvshm_msg *m)
{
	struct vhost_shmem_user_mmap mm;
	__u64 i;

	if (m->result || !libvshm_msg_mmap(m, &mm) ||
	    mm.shmid != VSHM_DEMO_SHMID)
		return;
	for (i = mm.shm_offset / VSHM_PAGE;
	     i < (mm.shm_offset + mm.len) / VSHM_PAGE && i < NR_PAGES; i++) {
		if (m->request == VHOST_SHMEM_USER_BACKEND_SHMEM_MAP)
			vmm->pages[i] = vmm->pending[i];
		else
			memset(&vmm->pages[i], 0, sizeof(vmm->pages[i]));
	}
}

static void printable(char *dst, const __u8 *src, size_t len)
{
	size_t i;

	for (i = 0; i < len && src[i]; i++)
		dst[i] = isprint(src[i]) ? src[i] : '.';
	dst[i] = 0;
}

/*
 * Let the guest read page @i: its label and its checksum.  Returns 0 with
 * both set, -EFAULT for a hole, another value for an unexpected failure.
 */
static int guest_read_page(struct vmm *vmm, unsigned int i, __u8 *label,
			   __u32 *sum)
{
	__u16 off = i * VSHM_PAGE;
	__u32 w;
	int k, ret;

	for (k = 0; k < VSHM_LABEL_LEN; k += 4) {
		ret = vshm_guest_read32(&vmm->guest, off + k, &w);
		if (ret)
			return ret;
		memcpy(label + k, &w, 4);
	}
	return vshm_guest_sum32(&vmm->guest, off, VSHM_PAGE / 4, sum);
}

static void print_holes(struct vmm *vmm, int from, int to)
{
	if (from < 0)
		return;
	fprintf(vmm->out, "vmm:   0x%04x-0x%04x  hole (KVM_RUN: EFAULT)\n",
		from * VSHM_PAGE, (to + 1) * VSHM_PAGE - 1);
}

/* The guest reads the whole region; returns the number of bad pages. */
static unsigned int scan(struct vmm *vmm, const char *title)
{
	__u8 label[VSHM_LABEL_LEN + 1] = { 0 };
	char shown[VSHM_LABEL_LEN + 1];
	int hole_from = -1, ret;
	unsigned int i, bad = 0;
	__u32 sum;

	fprintf(vmm->out, "vmm: step \"%s\": the guest reads region %u:\n",
		title, VSHM_DEMO_SHMID);
	for (i = 0; i < NR_PAGES; i++) {
		struct page_model *p = &vmm->pages[i];

		ret = guest_read_page(vmm, i, label, &sum);
		if (ret == -EFAULT && !p->mapped) {
			if (hole_from < 0)
				hole_from = i;
			vmm->st->holes++;
			continue;
		}
		print_holes(vmm, hole_from, i - 1);
		hole_from = -1;
		if (ret == -EFAULT) {
			fprintf(vmm->out,
				"vmm:   0x%04x  BAD: hole (KVM_RUN: EFAULT), but \"%s\" is mapped there\n",
				i * VSHM_PAGE, p->label);
			bad++;
			continue;
		}
		if (ret) {
			fprintf(vmm->out, "vmm:   0x%04x  BAD: guest failed: %s\n",
				i * VSHM_PAGE,
				ret < 0 ? strerror(-ret) : "unexpected exit");
			bad++;
			continue;
		}
		printable(shown, label, VSHM_LABEL_LEN);
		if (!p->mapped) {
			fprintf(vmm->out,
				"vmm:   0x%04x  STALE: guest read \"%s\" (sum 0x%08x) where nothing is mapped\n",
				i * VSHM_PAGE, shown, sum);
			bad++;
		} else if (!p->known || memcmp(label, p->label, VSHM_LABEL_LEN) ||
			   sum != p->sum) {
			fprintf(vmm->out,
				"vmm:   0x%04x  BAD: guest read \"%s\" sum 0x%08x, expected \"%s\" sum 0x%08x\n",
				i * VSHM_PAGE, shown, sum, p->label, p->sum);
			bad++;
		} else {
			fprintf(vmm->out, "vmm:   0x%04x  \"%s\"  sum 0x%08x  ok\n",
				i * VSHM_PAGE, shown, sum);
			vmm->st->pages_ok++;
		}
	}
	print_holes(vmm, hole_from, NR_PAGES - 1);
	vmm->st->bad += bad;
	return bad;
}

/*
 * With VSHM_DEMO_SHOW set (make demo sets "vshmctl show"), run that command
 * after each step, to print the kernel's view of the region next to the
 * guest's.
 */
static void show_kernel_view(struct vmm *vmm)
{
	const char *cmd = getenv("VSHM_DEMO_SHOW");
	int ret;

	if (!cmd || !*cmd)
		return;
	fprintf(vmm->out, "vmm: the kernel's view (%s):\n", cmd);
	fflush(vmm->out);
	fflush(stdout);
	ret = system(cmd);
	if (ret)
		fprintf(vmm->out, "vmm: \"%s\" failed (status %d)\n", cmd, ret);
}

static void handle_own(struct vmm *vmm, struct libvshm_msg *m)
{
	char title[129];
	size_t n = m->len - LIBVSHM_HDR_SIZE;
	unsigned int bad = 1;

	if (m->request == VSHM_DEMO_STEP) {
		if (n > sizeof(title) - 1)
			n = sizeof(title) - 1;
		printable(title, m->buf + LIBVSHM_HDR_SIZE, n);
		vmm->st->steps++;
		bad = scan(vmm, title);
		show_kernel_view(vmm);
	} else {
		fprintf(vmm->out, "vmm: ignoring back-end request %u\n",
			m->request);
	}
	if (libvshm_reply(vmm->sock, m, bad ? 1 : 0) < 0)
		fprintf(vmm->out, "vmm: cannot reply to request %u\n",
			m->request);
	libvshm_msg_release(m);
}

static int relay_loop(struct vmm *vmm)
{
	struct libvshm_msg m;
	char desc[160], err[256];
	int ret;

	for (;;) {
		ret = libvshm_recv(&vmm->v, vmm->sock, &m);
		if (ret == -ECONNRESET)
			return 0;
		if (ret)
			goto fail;
		prepare_map(vmm, &m);
		libvshm_msg_describe(&m, desc, sizeof(desc));
		ret = libvshm_relay(&vmm->v, vmm->sock, &m, 0);
		if (ret == -ENOMSG) {
			handle_own(vmm, &m);
			continue;
		}
		if (ret)
			goto fail;
		vmm->st->relayed++;
		if (m.result)
			vmm->st->failed++;
		fprintf(vmm->out, "vmm: relayed %s: %s%s%s\n", desc,
			m.result ? "failed, " : "ok",
			m.result ? strerror(-m.result) : "",
			m.replied ? ", replied" : "");
		commit(vmm, &m);
	}
fail:
	fprintf(vmm->out, "vmm: %s\n",
		libvshm_strerror(&vmm->v, ret, err, sizeof(err)));
	return 2;
}

int vshm_vmm_run(int sock, int ready_fd, FILE *out, struct vshm_vmm_stats *st)
{
	struct vshm_vmm_stats dummy;
	struct vmm *vmm;
	char err[256];
	int ret, rc = 2;

	if (!st)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	if (vshm_page_check(out))
		return rc;
	vmm = calloc(1, sizeof(*vmm));
	if (!vmm)
		goto out;
	vmm->st = st;
	vmm->out = out;
	vmm->sock = sock;
	vmm->v.fd = -1;

	ret = libvshm_open(&vmm->v, NULL);
	if (ret) {
		fprintf(out, "vmm: %s\n",
			libvshm_strerror(&vmm->v, ret, err, sizeof(err)));
		rc = ret == -ENOENT ? 4 : 2;
		goto out_free;
	}
	ret = vshm_guest_create(&vmm->guest);
	if (ret) {
		fprintf(out, "vmm: %s\n", ret == -ENOENT ?
			"/dev/kvm not found: is kvm loaded?" : strerror(-ret));
		rc = ret == -ENOENT ? 4 : 2;
		goto out_close;
	}
	ret = libvshm_region_create(&vmm->v, VSHM_DEMO_SHMID, REGION_SIZE,
				    &vmm->region);
	if (!ret)
		ret = libvshm_kvm_add_memslot(&vmm->v, vmm->guest.vm_fd,
					      WINDOW_SLOT, VSHM_GUEST_WINDOW_GPA,
					      &vmm->region);
	if (ret) {
		fprintf(out, "vmm: %s\n",
			libvshm_strerror(&vmm->v, ret, err, sizeof(err)));
		goto out_guest;
	}
	fprintf(out,
		"vmm: region %u: %llu KiB window, registered once as KVM memory slot %u at guest physical 0x%llx\n",
		VSHM_DEMO_SHMID, REGION_SIZE / 1024, WINDOW_SLOT,
		VSHM_GUEST_WINDOW_GPA);
	fflush(out);
	if (ready_fd >= 0) {
		if (write(ready_fd, "", 1) != 1)
			goto out_region;
		close(ready_fd);
		ready_fd = -1;
	}

	rc = relay_loop(vmm);
	fprintf(out,
		"vmm: back-end gone; %u steps, %u messages relayed (%u failed as asked), %u pages read ok, %u holes, %u bad\n",
		st->steps, st->relayed, st->failed, st->pages_ok, st->holes,
		st->bad);
	if (!rc && st->bad)
		rc = 1;
out_region:
	libvshm_region_destroy(&vmm->v, &vmm->region);
out_guest:
	vshm_guest_destroy(&vmm->guest);
out_close:
	libvshm_close(&vmm->v);
out_free:
	free(vmm);
out:
	if (ready_fd >= 0)
		close(ready_fd);
	close(sock);
	fflush(out);
	return rc;
}
