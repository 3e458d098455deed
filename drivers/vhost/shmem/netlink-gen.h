/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vhost_shmem.yaml */
/* YNL-GEN kernel header */
/* To regenerate run: tools/net/ynl/ynl-regen.sh */

#ifndef _LINUX_VHOST_SHMEM_GEN_H
#define _LINUX_VHOST_SHMEM_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/vhost_shmem_netlink.h>

int vhost_shmem_nl_dump_start(struct netlink_callback *cb);
int vhost_shmem_nl_dump_done(struct netlink_callback *cb);

int vhost_shmem_nl_ctx_get_doit(struct sk_buff *skb, struct genl_info *info);
int vhost_shmem_nl_ctx_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb);
int vhost_shmem_nl_region_get_doit(struct sk_buff *skb, struct genl_info *info);
int vhost_shmem_nl_region_get_dumpit(struct sk_buff *skb,
				     struct netlink_callback *cb);
int vhost_shmem_nl_mapping_get_doit(struct sk_buff *skb,
				    struct genl_info *info);
int vhost_shmem_nl_mapping_get_dumpit(struct sk_buff *skb,
				      struct netlink_callback *cb);

enum {
	VHOST_SHMEM_NLGRP_EVENTS,
};

extern struct genl_family vhost_shmem_nl_family;

#endif /* _LINUX_VHOST_SHMEM_GEN_H */
