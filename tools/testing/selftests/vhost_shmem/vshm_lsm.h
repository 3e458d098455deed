/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A BPF LSM program on the mmap_file hook that refuses every file mapping
 * of one process, loaded and attached through the bpf() syscall alone: what
 * the selftests need to show that MAP asks security_mmap_file() exactly as
 * mmap() does.  The hook is found by name in the kernel's BTF.
 */
#ifndef VSHM_LSM_H
#define VSHM_LSM_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <linux/btf.h>

#include "kselftest.h"

#define VSHM_BTF_VMLINUX	"/sys/kernel/btf/vmlinux"

/*
 * The BTF id of the function named @name in the kernel's BTF, 0 when it
 * has none, or -errno (-ENOENT: the kernel has no BTF; -EPROTO: a type
 * kind this walk does not know).
 */
static inline long vshm_btf_func_id(const char *name)
{
	const struct btf_header *hdr;
	const uint8_t *types, *end;
	const char *strs;
	long id = 0, ret = 0;
	struct stat st;
	uint8_t *buf;
	ssize_t len;
	int fd;

	fd = open(VSHM_BTF_VMLINUX, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !st.st_size) {
		close(fd);
		return -EIO;
	}
	buf = malloc(st.st_size);
	len = 0;
	while (buf && len < st.st_size) {
		ssize_t n = read(fd, buf + len, st.st_size - len);

		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	if (len != st.st_size) {
		free(buf);
		return -EIO;
	}
	hdr = (const struct btf_header *)buf;
	if (hdr->magic != BTF_MAGIC ||
	    (uint64_t)hdr->hdr_len + hdr->str_off + hdr->str_len > (uint64_t)len ||
	    (uint64_t)hdr->hdr_len + hdr->type_off + hdr->type_len > (uint64_t)len) {
		free(buf);
		return -EPROTO;
	}
	types = buf + hdr->hdr_len + hdr->type_off;
	end = types + hdr->type_len;
	strs = (const char *)buf + hdr->hdr_len + hdr->str_off;

	while (types + sizeof(struct btf_type) <= end) {
		const struct btf_type *t = (const void *)types;
		unsigned int vlen = BTF_INFO_VLEN(t->info);
		size_t extra;

		id++;
		switch (BTF_INFO_KIND(t->info)) {
		case BTF_KIND_INT:
		case BTF_KIND_VAR:
		case BTF_KIND_DECL_TAG:
			extra = 4;
			break;
		case BTF_KIND_ARRAY:
			extra = sizeof(struct btf_array);
			break;
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
		case BTF_KIND_DATASEC:
		case BTF_KIND_ENUM64:
			extra = 12 * vlen;
			break;
		case BTF_KIND_ENUM:
		case BTF_KIND_FUNC_PROTO:
			extra = 8 * vlen;
			break;
		case BTF_KIND_PTR:
		case BTF_KIND_FWD:
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_FUNC:
		case BTF_KIND_FLOAT:
		case BTF_KIND_TYPE_TAG:
			extra = 0;
			break;
		default:
			free(buf);
			return -EPROTO;
		}
		if (BTF_INFO_KIND(t->info) == BTF_KIND_FUNC &&
		    t->name_off < hdr->str_len && !strcmp(strs + t->name_off, name)) {
			ret = id;
			break;
		}
		types += sizeof(*t) + extra;
	}
	free(buf);
	return ret;
}

static inline long vshm_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

#define VSHM_INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
			    .off = (o), .imm = (i) })

/*
 * Attach a BPF LSM program to mmap_file that refuses, with EPERM, every
 * mapping of a file by process @tgid: mmap() and the kernel's vm_mmap() on
 * its behalf alike.  Returns the link's descriptor (closing it detaches the
 * program), or -errno: -ENOENT when the kernel has no BTF or no BPF LSM
 * hook, -EINVAL or -EOPNOTSUPP when the BPF LSM is not enabled.
 */
static inline int vshm_lsm_deny_mmap(pid_t tgid, char *log, size_t loglen)
{
	const struct bpf_insn insns[] = {
		/* r2 = the struct file * argument; anonymous maps pass. */
		VSHM_INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_2, BPF_REG_1, 0, 0),
		VSHM_INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_2, 0, 5, 0),
		VSHM_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_pid_tgid),
		VSHM_INSN(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_0, 0, 0, 32),
		VSHM_INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 2, tgid),
		VSHM_INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, -EPERM),
		VSHM_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
		VSHM_INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
		VSHM_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	union bpf_attr attr;
	long btf_id;
	int prog, link;

	btf_id = vshm_btf_func_id("bpf_lsm_mmap_file");
	if (btf_id <= 0)
		return btf_id ? btf_id : -ENOENT;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_LSM;
	attr.expected_attach_type = BPF_LSM_MAC;
	attr.attach_btf_id = btf_id;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = ARRAY_SIZE(insns);
	attr.license = (uintptr_t)"GPL";
	attr.log_buf = (uintptr_t)log;
	attr.log_size = log ? loglen : 0;
	attr.log_level = log ? 1 : 0;
	prog = vshm_bpf(BPF_PROG_LOAD, &attr);
	if (prog < 0)
		return -errno;

	/* A raw tracepoint without a name attaches an LSM program. */
	memset(&attr, 0, sizeof(attr));
	attr.raw_tracepoint.prog_fd = prog;
	link = vshm_bpf(BPF_RAW_TRACEPOINT_OPEN, &attr);
	if (link < 0)
		link = -errno;
	close(prog);
	return link;
}

#endif /* VSHM_LSM_H */
