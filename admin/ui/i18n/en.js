// The console's English texts.  i18n/ja.js has the same keys; a test
// checks that they match.  {name} is filled in by the console.

export default {
    'product': 'ngx_kot',
    'console': 'Admin console',
    'skip': 'Skip to the content',
    'lang.ja': '日本語',
    'lang.en': 'English',
    'header.lang_label': 'Language: 日本語 / English',
    'header.tenant': 'Company: {tenant}',
    'header.logout': 'Log out',

    'nav.label': 'Menu',
    'nav.menu': 'Menu',
    'nav.system': 'System administration',
    'nav.tenant': 'Company {tenant}',
    'nav.tenants': 'Companies',
    'nav.users': 'Users',
    'nav.sessions': 'Sessions',
    'nav.networks': 'Networks',
    'nav.policy': 'Password policy',
    'nav.support': 'Support access',
    'nav.events': 'Events',

    'banner.support': 'Support access in use: you are viewing the data of '
        + 'company {tenant} under its grant (until {expires}). Everything '
        + 'you do is recorded.',
    'banner.no_grant': 'You are looking at company {tenant}. Its data is '
        + 'shown only while its administrator grants support access.',

    'common.loading': 'Loading…',
    'common.working': 'Working…',
    'common.save': 'Save',
    'common.cancel': 'Cancel',
    'common.retry': 'Try again',
    'common.dismiss': 'Close this message',
    'common.none': '—',
    'common.copy': 'Copy',
    'common.copied': 'Copied.',
    'common.copy_manually': 'The password is selected: copy it with '
        + 'Ctrl+C (⌘C on a Mac).',
    'common.back_home': 'Back to the start',

    'role.user': 'User',
    'role.admin': 'Administrator',
    'role.user.long': 'User (can use the applications)',
    'role.admin.long': 'Administrator (can use this console)',

    'users.title': 'Users',
    'users.heading': 'User {user}',
    'users.add': 'Add a user',
    'users.search': 'Search by name or role',
    'users.filter': 'Show',
    'users.filter.all': 'All users',
    'users.filter.locked': 'Locked',
    'users.filter.disabled': 'Disabled',
    'users.filter.inactive': 'Inactive',
    'users.filter.must_change': 'Must change password',
    'users.filter.admins': 'Administrators',
    'users.filter.no_mfa': 'Without two-step login',
    'users.count': 'Showing {shown} of {total} users',
    'users.none': 'There are no users yet. Add the first one.',
    'users.none_match': 'No user matches the search.',
    'users.col.name': 'Username',
    'users.col.roles': 'Roles',
    'users.col.state': 'Status',
    'users.col.last_login': 'Last login',
    'users.col.created': 'Created',
    'users.col.failures': 'Failed logins',
    'users.col.locked_until': 'Locked until',
    'users.col.password_set': 'Password set',
    'users.col.actions': 'Actions',
    'users.col.mfa': 'Two-step login',
    'users.state.active': 'Active',
    'users.state.disabled': 'Disabled',
    'users.state.inactive': 'Inactive',
    'users.state.locked': 'Locked',
    'users.state.must_change': 'Must change password',
    'users.locked_forever': 'Until an administrator unlocks it',
    'users.manage': 'Manage',
    'users.manage_label': 'Manage {user}',
    'users.unlock': 'Unlock',
    'users.unlock_label': 'Unlock {user}',
    'users.unlock_hint': 'The account is locked after too many failed '
        + 'logins. Unlocking lets the user log in again and clears the '
        + 'failed attempts.',
    'users.unlocked': '{user} is unlocked and can log in again.',
    'users.back': 'Back to the users',
    'users.summary': 'Overview',
    'users.account': 'Account',
    'users.disable': 'Disable',
    'users.enable': 'Enable',
    'users.disable_hint': 'A disabled user cannot log in, and every '
        + 'session of the user ends at once. You can enable the account '
        + 'again later.',
    'users.enable_hint': 'This account is disabled. Enabling it lets the '
        + 'user log in again with their password.',
    'users.enable_label': 'Enable {user}',
    'users.inactive_hint': 'This account has not been used for longer than '
        + 'the password policy allows, so it cannot log in. Enabling it lets '
        + 'the user log in again with their password.',
    'users.self_hint': 'This is your own account: you cannot disable it.',
    'users.support_disable_hint': 'This user is an administrator of the '
        + 'company: support access cannot disable it. Ask the company\'s '
        + 'administrator to do it.',
    'users.support_delete_hint': 'This user is an administrator of the '
        + 'company: support access cannot delete it. Ask the company\'s '
        + 'administrator to do it.',
    'users.support_admin_role': 'Support access cannot take the '
        + 'administrator role away: only the company\'s administrators can.',
    'users.changed_meanwhile': 'Another administrator changed {user} after '
        + 'this page showed it, so nothing was changed. The page now shows '
        + '{user} as it is: check it, and make your change again if it is '
        + 'still needed.',
    'users.disable_title': 'Disable {user}?',
    'users.disable_body': 'The user is logged out everywhere at once and '
        + 'cannot log in until the account is enabled again.',
    'users.disabled': '{user} is disabled and has been logged out.',
    'users.enabled': '{user} is enabled and can log in again.',
    'users.reset': 'Reset password',
    'users.reset_hint': 'Issues a new temporary password. The user must '
        + 'choose their own password at the next login.',
    'users.reset_title': 'Reset the password of {user}?',
    'users.reset_body': 'The current password stops working and the user '
        + 'is logged out everywhere. You will see a temporary password once, '
        + 'to give to the user.',
    'users.reset_done': 'The password of {user} was reset.',
    'users.temp_label': 'Temporary password (shown only this once):',
    'users.temp_hint': 'Give it to the user in a safe way. It is shown '
        + 'only now; the user must change it at the first login.',
    'users.mfa.on': 'Set up',
    'users.mfa.off': 'Not set up',
    'users.mfa_reset': 'Reset two-step login',
    'users.mfa_reset_hint': 'For a lost or replaced phone: removes the '
        + 'user\'s authenticator app and recovery codes, and logs the user '
        + 'out everywhere.',
    'users.mfa_reset_title': 'Reset the two-step login of {user}?',
    'users.mfa_reset_body': 'The user is logged out on every device at once, '
        + 'and their codes stop working. At the next login they use the '
        + 'password alone, or set up two-step login again where your company '
        + 'requires it. This cannot be undone.',
    'users.mfa_reset_done': 'The two-step login of {user} was reset.',
    'users.support_mfa_hint': 'This user is an administrator of the '
        + 'company: support access cannot reset its two-step login. Ask the '
        + 'company\'s administrator to do it.',
    'users.self_credentials': 'This is your own account: change your '
        + 'password and your two-step login on their own pages, which ask '
        + 'for your current password. A reset is only for other users.',
    'users.self_password': 'Change my password',
    'users.self_mfa': 'My two-step login',
    'users.roles_hint': 'Roles decide what the user may open. Changes '
        + 'apply at once, also to sessions already running.',
    'users.roles_other': 'Other roles',
    'users.roles_other_hint': 'Roles your applications use, separated by '
        + 'spaces: lower-case letters, digits, "_" and "-".',
    'users.roles_saved': 'The roles of {user} were saved.',
    'users.delete_title': 'Delete this user',
    'users.delete_hint': 'Deleting ends the user\'s sessions and removes '
        + 'the account. The username can never be used again, not even for '
        + 'a new person.',
    'users.self_delete': 'This is your own account: another administrator '
        + 'must delete it.',
    'users.delete': 'Delete',
    'users.delete_confirm_title': 'Delete {user}?',
    'users.delete_body': 'The account is removed and the user is logged out '
        + 'everywhere at once. This cannot be undone.',
    'users.delete_never': 'The ID "{user}" can never be used again: not '
        + 'for this person, and not for anyone else.',
    'users.delete_ack': 'I understand that "{user}" can never be used '
        + 'again.',
    'users.deleted': '{user} was deleted. The ID will never be issued '
        + 'again.',
    'users.add_intro': 'The new user gets a temporary password, which you '
        + 'see once after adding. They choose their own password at the '
        + 'first login.',
    'users.name_hint': 'Up to 64 of a-z, 0-9 and . _ @ + -, not starting '
        + 'with . @ or -. Capital letters become small ones. An e-mail '
        + 'address works.',
    'users.name_required': 'Enter a username.',
    'users.password': 'Temporary password',
    'users.password_auto': 'Generate one (recommended)',
    'users.password_manual': 'Set one myself',
    'users.password_hint': 'It must follow the password policy. The user '
        + 'still has to change it at the first login.',
    'users.given_hint': 'The password you set is their temporary one: '
        + 'give it to them in a safe way. They must change it at the first '
        + 'login.',
    'users.add_button': 'Add user',
    'users.added': 'User {user} was added.',
    'users.add_another': 'Add another user',

    'sessions.title': 'Sessions',
    'sessions.intro': 'Who is logged in now, from which address, and when '
        + 'they were last active. Ending a session logs that browser out at '
        + 'once.',
    'sessions.filter': 'Filter by user',
    'sessions.count': '{n} sessions',
    'sessions.count.one': '1 session',
    'sessions.none': 'Nobody is logged in right now.',
    'sessions.none_match': 'No session of a matching user.',
    'sessions.col.user': 'User',
    'sessions.col.ip': 'Address',
    'sessions.col.created': 'Logged in',
    'sessions.col.last_active': 'Last active',
    'sessions.col.expires': 'Ends at the latest',
    'sessions.col.actions': 'Actions',
    'sessions.you': 'You',
    'sessions.end': 'End',
    'sessions.end_label': 'End the session of {user} from {ip}',
    'sessions.end_title': 'End this session of {user}?',
    'sessions.end_body': 'The browser of {user} at {ip} is logged out at '
        + 'once. Unsaved work in it may be lost.',
    'sessions.this_browser': 'This browser',
    'sessions.end_self_label': 'End your session in this browser',
    'sessions.end_self_body': 'This is the session of the browser you are '
        + 'using now: ending it logs you out of this console at once, and '
        + 'you log in again to go on.',
    'sessions.end_all_self': 'This includes the browser you are using now: '
        + 'it logs you out of this console at once.',
    'sessions.ended': 'The session of {user} has ended.',
    'sessions.end_all': 'End all sessions',
    'sessions.end_all_of': 'End all sessions of {user}',
    'sessions.end_all_title': 'End every session of {user}?',
    'sessions.end_all_body': 'The user is logged out on every device at '
        + 'once and must log in again. The password stays the same.',
    'sessions.ended_all': 'All sessions of {user} have ended.',

    'networks.title': 'Networks',
    'networks.intro': 'Limit the networks your company\'s staff may use. '
        + 'Each list holds one network a line, as an address or a range '
        + '(203.0.113.0/24, 2001:db8::/32). An empty list restricts nothing.',
    'networks.your_ip': 'Your address now:',
    'networks.support_readonly': 'Support access can see these lists but '
        + 'not change them: they decide from where the company\'s '
        + 'administrators may reach this console. Ask the company\'s '
        + 'administrator to change them.',
    'networks.your_ip_unknown': 'unknown',
    'networks.label': 'Networks, one a line',
    'networks.hint': 'Lines starting with # are notes and are not saved.',
    'networks.saved_count': 'Saved: {n} networks.',
    'networks.saved_count.one': 'Saved: 1 network.',
    'networks.empty': 'The saved list is empty: every network is allowed.',
    'networks.bad_line': 'Line {line}: {text}',
    'networks.more_bad': '{n} more lines, marked "!", are wrong too.',
    'networks.more_bad.one': '1 more line, marked "!", is wrong too.',
    'networks.invalid': '"{network}" is not a network: {reason}.',
    'cidr.empty': 'it is empty',
    'cidr.too_long': 'it is too long to be an address',
    'cidr.space': 'it holds spaces or control characters',
    'cidr.zone': 'an IPv6 zone (%...) is not allowed',
    'cidr.bad_character': 'it has characters an address cannot have '
        + '(only digits, a-f, ".", ":" and one "/")',
    'cidr.no_address': 'there is no address before the "/"',
    'cidr.no_prefix': 'there is no prefix length after the "/"',
    'cidr.bad_prefix': 'the prefix length is not a number',
    'cidr.prefix_leading_zero': 'the prefix length starts with a zero',
    'cidr.leading_zero': 'a number of the IPv4 address starts with a zero, '
        + 'which is ambiguous',
    'cidr.not_an_address': 'it is neither an IPv4 nor an IPv6 address',
    'cidr.not_ipv4': 'it is not an IPv4 address (four numbers 0 to 255: '
        + 'a.b.c.d)',
    'cidr.not_ipv6': 'it is not an IPv6 address',
    'cidr.prefix_range_ipv4': 'the prefix length is out of range (IPv4 '
        + 'allows /0 to /32)',
    'cidr.prefix_range_ipv6': 'the prefix length is out of range (IPv6 '
        + 'allows /0 to /128)',
    'cidr.host_bits_set': 'the address has bits set beyond the prefix',
    'cidr.host_bits_set.net': 'the address has bits set beyond the prefix '
        + '(did you mean {net}?)',
    'networks.access.title': 'Access list (everyone)',
    'networks.access.about': 'Users may log in and use the applications '
        + 'only from these networks.',
    'networks.access.save': 'Save the access list',
    'networks.access.saved': 'The access list was saved. It applies from '
        + 'the next request.',
    'networks.access.lockout': 'With this list, your own address ({ip}) '
        + 'is no longer allowed: you would be logged out of everything, this '
        + 'console included, at your next click.',
    'networks.admin.title': 'Admin list (administrators)',
    'networks.admin.about': 'This console can be used only from these '
        + 'networks. They must also be in the access list.',
    'networks.admin.save': 'Save the admin list',
    'networks.admin.saved': 'The admin list was saved. It applies from the '
        + 'next request.',
    'networks.admin.lockout': 'With this list, your own address ({ip}) can '
        + 'no longer use this console: you would lose access at your next '
        + 'click.',
    'networks.lockout_title': 'This would shut you out',
    'networks.lockout_recover': 'Only a system administrator on the server '
        + 'can undo it then.',
    'networks.lockout_confirm_title': 'Save anyway and lose your access?',
    'networks.lockout_ack': 'I understand that {ip} will be shut out.',
    'networks.keep_editing': 'Keep editing',
    'networks.changed_title': 'Changed by another administrator',
    'networks.changed_meanwhile': 'Another administrator changed this list '
        + 'after this page showed it, so your list was not saved. The list '
        + 'now in force is shown here; your draft stays in the editor. '
        + 'Compare them, and save again to replace the list with your '
        + 'draft.',
    'networks.use_current': 'Put this list in the editor',
    'networks.save_anyway': 'Save anyway',

    'policy.title': 'Password policy',
    'policy.intro': 'Rules for your users\' passwords and logins. You can '
        + 'make each rule stricter than the server\'s, never looser.',
    'policy.rules': 'Rules',
    'policy.floor': 'Server minimum: {value}',
    'policy.too_loose': 'This is looser than the server allows ({floor}).',
    'policy.changed_title': 'Changed by another administrator',
    'policy.changed_meanwhile': 'Another administrator changed the password '
        + 'policy after this page showed it, so your changes were not saved. '
        + 'The company\'s rules now are shown here; your values stay in the '
        + 'form. Compare them, and save again to replace the rules with '
        + 'yours.',
    'policy.changed_none': 'The company now has no rules of its own: the '
        + 'server\'s apply.',
    'policy.fix_first': 'Some rules are looser than the server allows. Fix '
        + 'them, then save.',
    'policy.saved': 'The password policy was saved. Its password rules '
        + 'apply to every new password from now on, and two-step login to '
        + 'every login from now on.',
    'policy.refused.looser': '{rule}: this is looser than the server '
        + 'allows ({limit}). A company can only make the rules stricter.',
    'policy.refused.range': '{rule}: enter a number from {min} to {limit}.',
    'policy.refused.time': '{rule}: enter a length of time.',
    'policy.refused.on_off': '{rule}: choose on or off.',
    'policy.refused.required': '{rule}: choose required or not.',
    'policy.refused.shorter': '{rule} must be shorter than the password '
        + 'expiry ({limit}), or an expired password could not be changed.',
    'policy.on': 'on',
    'policy.off': 'off',
    'policy.unit': 'Unit',
    'policy.unit.m': 'minutes',
    'policy.unit.h': 'hours',
    'policy.unit.d': 'days',
    'policy.unit.m.n': '{n} min.',
    'policy.unit.h.n': '{n} h',
    'policy.unit.d.n': '{n} days',
    'policy.unit.s.n': '{n} s',
    'policy.min_length': 'Minimum length',
    'policy.min_length.about': 'In characters.',
    'policy.min_length.value': '{n} characters',
    'policy.classes': 'Kinds of characters',
    'policy.classes.about': 'How many of lower case, upper case, digits and '
        + 'symbols a password must mix (0 to 4).',
    'policy.classes.value': '{n} kinds',
    'policy.not_username': 'The password may not contain the username',
    'policy.not_username.about': 'Refuses passwords like "bob2026" for bob.',
    'policy.history': 'Passwords remembered',
    'policy.history.about': 'A new password may not be one of the last so '
        + 'many (0: no check).',
    'policy.history.value': '{n}',
    'policy.min_age': 'Minimum time between changes',
    'policy.min_age.about': 'Keeps users from cycling back to an old '
        + 'password (0: off).',
    'policy.max_age': 'Password expires after',
    'policy.max_age.about': 'After this, the user must choose a new '
        + 'password (0: never).',
    'policy.inactive_after': 'Lock accounts unused for',
    'policy.inactive_after.about': 'An account without a login for this '
        + 'long can no longer log in until it is enabled (0: never).',
    'policy.mfa': 'Require two-step login for every user',
    'policy.mfa.about': 'From their next login, users who have not set up '
        + 'two-step login must set it up before they can use anything else, '
        + 'and no user can turn it off. This includes you and the other '
        + 'administrators. Sessions already open go on.',
    'policy.mfa.required': 'required',
    'policy.mfa.optional': 'not required',

    'support.title': 'Support access',
    'support.intro': 'When you ask the operator for help, you can let its '
        + 'support staff see your company\'s users, sessions, networks and '
        + 'events for a few hours. Without your permission they see nothing '
        + 'inside your company.',
    'support.status': 'Status',
    'support.on': 'Granted',
    'support.off': 'Not granted',
    'support.expires': 'Support staff have access until {expires}.',
    'support.none': 'Support staff have no access to your company.',
    'support.by': 'Granted by {by} on {created}.',
    'support.new': 'Grant support access',
    'support.extend': 'Change the end of the access',
    'support.grant_hint': 'The access ends by itself after this time. You '
        + 'can revoke it at any moment. Everything support staff do is '
        + 'recorded in the events.',
    'support.hours': 'For how many hours',
    'support.hours_hint': '1 to 72 hours.',
    'support.hours_range': 'Enter a whole number of hours from 1 to 72.',
    'support.grant': 'Grant access',
    'support.granted_until': 'Support access is granted until {expires}.',
    'support.revoke': 'Revoke access',
    'support.revoke_title': 'Revoke support access?',
    'support.revoke_body': 'Support staff lose access to your company at '
        + 'once.',
    'support.revoked': 'Support access was revoked.',
    'support.only_tenant': 'Only the company\'s own administrators can '
        + 'grant or revoke support access.',

    'events.title': 'Events',
    'events.intro': 'The latest logins, lockouts, denials and changes by '
        + 'administrators in your company, newest first. Rows that need '
        + 'attention are marked.',
    'events.filter_user': 'User',
    'events.filter_action': 'Event',
    'events.all_actions': 'All events',
    'events.show': 'Show',
    'events.last_n': 'last {n}',
    'events.only_alerts': 'Only those that need attention',
    'events.count': 'Showing {shown} of {total} events',
    'events.none': 'No events yet.',
    'events.none_match': 'No event matches the filter.',
    'events.col.time': 'Time',
    'events.col.action': 'Event',
    'events.col.outcome': 'Result',
    'events.col.user': 'Who',
    'events.col.ip': 'From',
    'events.col.details': 'Details',
    'events.attention': 'Attention',
    'events.support': 'by support',
    'events.list': 'list: {list}',
    'events.actor_target': '{actor} → {target}',

    'outcome.success': 'Succeeded',
    'outcome.failure': 'Failed',
    'outcome.unknown': 'Unknown',

    'action.login': 'Login',
    'action.logout': 'Logout',
    'action.login_throttled': 'Login held back (too many attempts)',
    'action.login_rejected_busy': 'Login refused (service busy)',
    'action.account_locked': 'Account locked',
    'action.account_unlocked': 'Account unlocked',
    'action.account_enabled': 'Account enabled',
    'action.account_disabled': 'Account disabled',
    'action.session_expired': 'Session expired',
    'action.session_revoked': 'Session ended by an administrator',
    'action.sessions_revoked': 'Sessions ended by an administrator',
    'action.password_change': 'Password change',
    'action.password_rehash': 'Password hash upgraded',
    'action.ip_denied': 'Network not allowed',
    'action.role_denied': 'Page not permitted',
    'action.identity_header_removed': 'Forged header removed',
    'action.tenant_added': 'Company added',
    'action.tenant_deleted': 'Company deleted',
    'action.tenant_policy_changed': 'Password policy changed',
    'action.user_added': 'User added',
    'action.user_deleted': 'User deleted',
    'action.user_roles_changed': 'Roles changed',
    'action.user_password_set': 'Password reset',
    'action.allowlist_changed': 'Network list changed',
    'action.throttle_cleared': 'Login hold released',
    'action.support_granted': 'Support access granted',
    'action.support_revoked': 'Support access revoked',

    'reason.unknown_user': 'unknown user',
    'reason.bad_password': 'wrong password',
    'reason.locked': 'account locked',
    'reason.disabled': 'account disabled',
    'reason.inactive': 'account unused too long',
    'reason.invalid_name': 'invalid name',
    'reason.throttled': 'too many attempts from this address',
    'reason.busy': 'service busy',
    'reason.too_many_failures': 'too many failed logins',
    'reason.ip_denied': 'network not allowed',
    'reason.missing_role': 'role missing',
    'reason.idle': 'no activity',
    'reason.absolute': 'maximum duration reached',
    'reason.bad_current_password': 'wrong current password',
    'reason.policy': 'against the password policy',
    'reason.min_age': 'changed too recently',
    'reason.history': 'a recent password',
    'reason.password_changed': 'password changed meanwhile',
    'reason.store_failed': 'not stored',
    'reason.csrf': 'form expired',
    'reason.duplicate_field': 'unreadable form',
    'reason.malformed_form': 'unreadable form',
    'reason.form_too_large': 'form too large',
    'reason.forged_identity': 'forged identity',

    'tenants.title': 'Companies',
    'tenants.intro': 'The companies (tenants) on this service. Their users '
        + 'and settings are visible only while the company\'s administrator '
        + 'grants support access.',
    'tenants.new': 'Add a company',
    'tenants.name': 'Company ID',
    'tenants.name_hint': 'Up to 63 of a-z, 0-9, "." and "-", starting and '
        + 'ending with a letter or digit.',
    'tenants.name_required': 'Enter a company ID.',
    'tenants.admin': 'Its first administrator',
    'tenants.admin_hint': 'A username in the new company: up to 64 of '
        + 'a-z, 0-9 and . _ @ + -, not starting with . @ or -. They get a '
        + 'temporary password and manage the company from then on.',
    'tenants.admin_required': 'Enter the first administrator\'s username.',
    'tenants.admin_temp': 'Temporary password of {user} (shown only this '
        + 'once):',
    'tenants.admin_temp_hint': 'Give it to them in a safe way. They log in '
        + 'with the company ID and must change it at the first login.',
    'tenants.done': 'Done',
    'tenants.add': 'Add company',
    'tenants.added': 'Company {tenant} was added.',
    'tenants.created': 'Created',
    'tenants.users': 'Users',
    'tenants.actions': 'Actions',
    'tenants.open': 'Open',
    'tenants.open_label': 'Open {tenant}',
    'tenants.none': 'There are no companies yet.',
    'tenants.delete': 'Delete',
    'tenants.delete_label': 'Delete {tenant}',
    'tenants.delete_title': 'Delete company {tenant}?',
    'tenants.delete_body': 'All of its {n} users, their sessions, its '
        + 'networks, policy and grants are removed at once, on every '
        + 'server. The audit trail stays. This cannot be undone.',
    'tenants.delete_never': 'The ID "{tenant}" can never be used again.',
    'tenants.delete_ack': 'I understand that {tenant} and its users are '
        + 'gone for good.',
    'tenants.deleted': 'Company {tenant} was deleted.',

    'draft.restored': 'Your session ended before your change was saved, so '
        + 'the change was not made. What you had entered is shown again: '
        + 'check it and save again.',
    'draft.lost': 'Your session ended before your last change was saved, '
        + 'so the change was not made. Please make it again.',
    'draft.restored_password': 'Your session ended before your change was '
        + 'saved, so the change was not made. What you had entered is shown '
        + 'again, except the password: type it again, check the rest and '
        + 'save again.',

    'err.network': 'The server cannot be reached. Check your connection '
        + 'and try again.',
    'err.timeout': 'The server did not answer within 30 seconds. Please '
        + 'try again in a moment.',
    'err.timeout_change': 'The server did not answer within 30 seconds, so '
        + 'it is not known whether the change was made. Reload the page to '
        + 'see the current state before you try again.',
    'err.unexpected': 'Something went wrong in this page. Reload it and '
        + 'try again.',
    'err.status': 'The server could not do this (error {status}). Reload '
        + 'the page to see the current state before you try again.',
    'err.forbidden': 'Your account is not allowed to do this.',
    'err.no_admin': 'This console is for administrators, and your account '
        + 'is not one. If you need it, ask your administrator.',
    'err.csrf': 'This page is out of date. Reload it and try again.',
    'err.tls_too_old': 'Your browser connected with a protocol version '
        + 'that this console no longer accepts because it is not secure '
        + 'enough. Nothing was changed. Use an up-to-date browser, or ask '
        + 'your IT department for help.',
    'err.too_early': 'The server did not accept this because the '
        + 'connection was not fully set up yet. Nothing was changed. Please '
        + 'try again.',
    'err.ip_not_allowed': 'Your company allows this console only from '
        + 'certain networks, and the network you are connected to now is not '
        + 'one of them. Connect from a network your company allows (such as '
        + 'the office network or the company VPN) and try again, or ask '
        + 'another administrator of your company to add this network on the '
        + 'Networks screen.',
    'err.not_found': 'It no longer exists: someone may have deleted it. '
        + 'Reload to see the current state.',
    'err.not_found_here': 'There is nothing here: the company or user does '
        + 'not exist, or is not yours to manage.',
    'err.exists': 'It exists already.',
    'err.user_exists': 'A user with this name exists already.',
    'err.username_retired': 'This username belonged to a deleted user. An '
        + 'ID is never given to another person, so it cannot be used again: '
        + 'choose another name.',
    'err.tenant_exists': 'A company with this ID exists already.',
    'err.tenant_retired': 'This company ID belonged to a deleted company '
        + 'and can never be used again.',
    'err.password_policy': 'The password does not follow the password '
        + 'policy: {detail}',
    'err.no_mfa': 'This user has no two-step login to reset.',
    'err.own_credentials': 'You cannot reset your own password or '
        + 'two-step login here. Change them on your password page or your '
        + 'two-step login page, which ask for your current password.',
    'pwrule.sep': '; ',
    'pwrule.min_length': 'it must be at least {n} characters long',
    'pwrule.max_length': 'it may be at most {n} characters long',
    'pwrule.characters': 'it contains control characters',
    'pwrule.classes': 'it needs at least {n} of these kinds of characters: '
        + 'lower case, upper case, digits, symbols',
    'pwrule.not_username': 'it may not contain the username',
    'pwrule.blocklist': 'it is a well-known password, which is refused',
    'err.cannot_disable_self': 'You cannot disable your own account. Ask '
        + 'another administrator.',
    'err.cannot_demote_self': 'You cannot take away your own administrator '
        + 'role. Ask another administrator.',
    'err.cannot_delete_self': 'You cannot delete your own account. Ask '
        + 'another administrator.',
    'err.last_admin': 'This is the company\'s last enabled administrator: '
        + 'without one, nobody could manage the company here. Make another '
        + 'user an administrator first.',
    'err.last_admin.others_cannot_log_in': 'This is the company\'s last '
        + 'administrator who can log in: the others are inactive, or locked '
        + 'until an administrator unlocks them. Enable or unlock another '
        + 'administrator first.',
    'err.cannot_delete_own_tenant': 'The operator\'s own company cannot be '
        + 'deleted.',
    'err.invalid_name': 'This name cannot be used: see which characters '
        + 'are allowed below the field.',
    'err.invalid_role': 'A role is not valid: {detail}',
    'err.invalid_role.none': 'Choose at least one role.',
    'err.invalid_role.name': '“{role}” cannot be a role. A role has 1 to 32 '
        + 'characters: lower-case letters a-z, digits 0-9, “_” and “-”. '
        + 'Correct it under Other roles.',
    'err.invalid_role.too_many': 'There are too many roles. Remove some, '
        + 'then save again.',
    'err.invalid_hours': 'Support access lasts 1 to 72 hours.',
    'err.invalid_policy': 'A rule is not valid: {detail}',
    'err.policy_loosened': 'A rule is looser than the server allows: '
        + '{detail}',
    'err.too_many_networks': 'A list holds at most 10,000 networks.',
    'err.busy': 'The server is busy. Nothing was changed. Please try again '
        + 'in a moment.',
    'err.support_not_permitted': 'Support access cannot create '
        + 'accounts or set passwords. Ask the company\'s '
        + 'administrator to do it.',
    'err.support_admin_protected': 'Support access cannot disable, demote '
        + 'or delete the company\'s administrators, nor reset their two-step '
        + 'login. Ask the company\'s administrator to do it.',
    'err.precondition_failed': 'It was changed after this page showed it, '
        + 'so nothing was changed. Reload the page to see it as it is now.',
    'err.support_grant_required': 'This company has not granted support '
        + 'access, so its data cannot be shown.',
    'err.support_how': 'Its administrator can grant it for a few hours on '
        + 'the "Support access" screen of this console.',
    'err.invalid_cidr': 'Not a network: {detail}',
    'err.invalid_json': 'The server refused this: {detail}',
    'err.unknown_field': 'The server refused this: {detail}',
    'err.wrong_type': 'The server refused this: {detail}',
    'err.missing_field': 'The server refused this: {detail}',
    'err.body_too_large': 'This is too large to send.',
    'err.http_502': 'The service is temporarily unavailable. Nothing was '
        + 'changed. Please try again in a moment.',
    'err.http_503': 'The service is temporarily unavailable. Nothing was '
        + 'changed. Please try again in a moment.',
    'err.unavailable': 'The service is temporarily unavailable. Nothing was '
        + 'changed. Please try again in a moment.',
    'err.session_store_unavailable': 'The service cannot reach its data '
        + 'store. Nothing was changed. Please try again in a moment.',
};
