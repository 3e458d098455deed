// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vhost_shmem.yaml */
/* YNL-GEN kernel source */
/* To regenerate run: tools/net/ynl/ynl-regen.sh */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include <uapi/linux/vhost_shmem_netlink.h>

/* VHOST_SHMEM_CMD_CTX_GET - do */
static const struct nla_policy vhost_shmem_ctx_get_do_nl_policy[VHOST_SHMEM_A_CTX_ID + 1] = {
	[VHOST_SHMEM_A_CTX_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* VHOST_SHMEM_CMD_CTX_GET - dump */
static const struct nla_policy vhost_shmem_ctx_get_dump_nl_policy[VHOST_SHMEM_A_CTX_ID + 1] = {
	[VHOST_SHMEM_A_CTX_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* VHOST_SHMEM_CMD_REGION_GET - do */
static const struct nla_policy vhost_shmem_region_get_do_nl_policy[VHOST_SHMEM_A_REGION_SHMID + 1] = {
	[VHOST_SHMEM_A_REGION_CTX_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[VHOST_SHMEM_A_REGION_SHMID] = NLA_POLICY_MAX(NLA_U32, 255),
};

/* VHOST_SHMEM_CMD_REGION_GET - dump */
static const struct nla_policy vhost_shmem_region_get_dump_nl_policy[VHOST_SHMEM_A_REGION_SHMID + 1] = {
	[VHOST_SHMEM_A_REGION_CTX_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[VHOST_SHMEM_A_REGION_SHMID] = NLA_POLICY_MAX(NLA_U32, 255),
};

/* VHOST_SHMEM_CMD_MAPPING_GET - do */
static const struct nla_policy vhost_shmem_mapping_get_do_nl_policy[VHOST_SHMEM_A_MAPPING_SHM_OFFSET + 1] = {
	[VHOST_SHMEM_A_MAPPING_CTX_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[VHOST_SHMEM_A_MAPPING_SHMID] = NLA_POLICY_MAX(NLA_U32, 255),
	[VHOST_SHMEM_A_MAPPING_SHM_OFFSET] = { .type = NLA_UINT, },
};

/* VHOST_SHMEM_CMD_MAPPING_GET - dump */
static const struct nla_policy vhost_shmem_mapping_get_dump_nl_policy[VHOST_SHMEM_A_MAPPING_SHM_OFFSET + 1] = {
	[VHOST_SHMEM_A_MAPPING_CTX_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[VHOST_SHMEM_A_MAPPING_SHMID] = NLA_POLICY_MAX(NLA_U32, 255),
	[VHOST_SHMEM_A_MAPPING_SHM_OFFSET] = { .type = NLA_UINT, },
};

/* Ops table for vhost_shmem */
static const struct genl_split_ops vhost_shmem_nl_ops[] = {
	{
		.cmd		= VHOST_SHMEM_CMD_CTX_GET,
		.doit		= vhost_shmem_nl_ctx_get_doit,
		.policy		= vhost_shmem_ctx_get_do_nl_policy,
		.maxattr	= VHOST_SHMEM_A_CTX_ID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= VHOST_SHMEM_CMD_CTX_GET,
		.start		= vhost_shmem_nl_dump_start,
		.dumpit		= vhost_shmem_nl_ctx_get_dumpit,
		.done		= vhost_shmem_nl_dump_done,
		.policy		= vhost_shmem_ctx_get_dump_nl_policy,
		.maxattr	= VHOST_SHMEM_A_CTX_ID,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= VHOST_SHMEM_CMD_REGION_GET,
		.doit		= vhost_shmem_nl_region_get_doit,
		.policy		= vhost_shmem_region_get_do_nl_policy,
		.maxattr	= VHOST_SHMEM_A_REGION_SHMID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= VHOST_SHMEM_CMD_REGION_GET,
		.start		= vhost_shmem_nl_dump_start,
		.dumpit		= vhost_shmem_nl_region_get_dumpit,
		.done		= vhost_shmem_nl_dump_done,
		.policy		= vhost_shmem_region_get_dump_nl_policy,
		.maxattr	= VHOST_SHMEM_A_REGION_SHMID,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= VHOST_SHMEM_CMD_MAPPING_GET,
		.doit		= vhost_shmem_nl_mapping_get_doit,
		.policy		= vhost_shmem_mapping_get_do_nl_policy,
		.maxattr	= VHOST_SHMEM_A_MAPPING_SHM_OFFSET,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= VHOST_SHMEM_CMD_MAPPING_GET,
		.start		= vhost_shmem_nl_dump_start,
		.dumpit		= vhost_shmem_nl_mapping_get_dumpit,
		.done		= vhost_shmem_nl_dump_done,
		.policy		= vhost_shmem_mapping_get_dump_nl_policy,
		.maxattr	= VHOST_SHMEM_A_MAPPING_SHM_OFFSET,
		.flags		= GENL_CMD_CAP_DUMP,
	},
};

static const struct genl_multicast_group vhost_shmem_nl_mcgrps[] = {
	[VHOST_SHMEM_NLGRP_EVENTS] = { "events", },
};

struct genl_family vhost_shmem_nl_family __ro_after_init = {
	.name		= VHOST_SHMEM_FAMILY_NAME,
	.version	= VHOST_SHMEM_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.split_ops	= vhost_shmem_nl_ops,
	.n_split_ops	= ARRAY_SIZE(vhost_shmem_nl_ops),
	.mcgrps		= vhost_shmem_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(vhost_shmem_nl_mcgrps),
};
