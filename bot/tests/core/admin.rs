//! Admin commands: refused for non-admins before any argument is read;
//! parsed for admins, with usage errors naming the argument.

use super::util::*;
use easel_bot::core::{
    AdminCommand, Incoming, Intent, MintRequest, Problem, RepliedTo, UsageError, UserRef,
};
use easel_shared::UserKey;

#[test]
fn admin_commands_for_admins_only() {
    // A non-admin is refused before any argument is read, even nonsense ones.
    for text in [
        "/grant 5 10",
        "/grant",
        "/codes mint 999999",
        "/stats",
        "/ban@EaselBot @x",
    ] {
        check(private(text), Err(Problem::NotAdmin));
        check(group(text), Err(Problem::NotAdmin));
    }
    let admin = |text: &str| from(ADMIN, private(text));
    let tg = |id| UserRef::Key(UserKey::telegram(id));
    check(
        admin("/grant 42 10 good feedback"),
        Ok(Intent::Admin(AdminCommand::Grant {
            user: tg(42),
            credits: 10,
            reason: "good feedback".into(),
        })),
    );
    check(
        admin("/deduct dc:77 3"),
        Ok(Intent::Admin(AdminCommand::Deduct {
            user: UserRef::Key(UserKey::discord(77)),
            credits: 3,
            reason: String::new(),
        })),
    );
    check(
        admin("/plan @alice pro 30"),
        Ok(Intent::Admin(AdminCommand::Plan {
            user: UserRef::Username("alice".into()),
            plan: Some("pro".into()),
            days: Some(30),
        })),
    );
    check(
        admin("/plan 42 default"),
        Ok(Intent::Admin(AdminCommand::Plan {
            user: tg(42),
            plan: None,
            days: None,
        })),
    );
    check(
        Incoming {
            reply_to: Some(RepliedTo {
                author: Some(USER),
                ..RepliedTo::default()
            }),
            ..admin("/ban reply spam")
        },
        Ok(Intent::Admin(AdminCommand::Ban {
            user: UserRef::Key(USER),
            reason: "spam".into(),
        })),
    );
    check(
        admin("/ban reply"),
        Err(Problem::Usage {
            command: "ban",
            reason: UsageError::NoReply,
        }),
    );
    check(
        admin("/unban tg:9"),
        Ok(Intent::Admin(AdminCommand::Unban { user: tg(9) })),
    );
    check(
        admin("/grant 42"),
        Err(Problem::Usage {
            command: "grant",
            reason: UsageError::Missing("N"),
        }),
    );
    check(
        admin("/grant 42 -3"),
        Err(Problem::Usage {
            command: "grant",
            reason: UsageError::Bad {
                arg: "N",
                given: "-3".into(),
            },
        }),
    );
    check(
        admin("/grant xx:1 3"),
        Err(Problem::Usage {
            command: "grant",
            reason: UsageError::Bad {
                arg: "USER",
                given: "xx:1".into(),
            },
        }),
    );
    check(
        admin("/codes mint 5 credits=20 plan=pro days=30 uses=2 expires=7d note=sold to Bob, Nov"),
        Ok(Intent::Admin(AdminCommand::Mint(MintRequest {
            count: 5,
            credits: 20,
            plan: Some("pro".into()),
            plan_days: 30,
            max_uses: 2,
            expires_in: Some(std::time::Duration::from_secs(7 * 86_400)),
            note: "sold to Bob, Nov".into(),
        }))),
    );
    check(
        admin("/codes mint 5"),
        Err(Problem::Usage {
            command: "codes",
            reason: UsageError::Missing("credits=N or plan=NAME"),
        }),
    );
    check(
        admin("/codes mint 5 credits=1 expires=soon"),
        Err(Problem::Usage {
            command: "codes",
            reason: UsageError::Bad {
                arg: "expires",
                given: "soon".into(),
            },
        }),
    );
    check(
        admin("/codes list"),
        Ok(Intent::Admin(AdminCommand::ListCodes)),
    );
    check(
        admin("/codes revoke c7f2"),
        Ok(Intent::Admin(AdminCommand::Revoke { id: "c7f2".into() })),
    );
    check(
        admin("/usage 42"),
        Ok(Intent::Admin(AdminCommand::Usage { user: tg(42) })),
    );
    check(
        admin("/usage top"),
        Ok(Intent::Admin(AdminCommand::Top { days: 7 })),
    );
    check(
        admin("/usage top 30"),
        Ok(Intent::Admin(AdminCommand::Top { days: 30 })),
    );
    check(
        admin("/stats@EaselBot"),
        Ok(Intent::Admin(AdminCommand::Stats)),
    );
    check(
        admin("/stats now"),
        Err(Problem::Usage {
            command: "stats",
            reason: UsageError::Unexpected("now".into()),
        }),
    );
}
