//! The installed app (the `.deb` installed or unpacked by `cargo xtask install-test`, the
//! install stage of `cargo xtask test`): started with no runbook as a desktop launcher
//! starts it, it shows its start page, finds the tour the package installed beside it, and
//! renders it. Ignored in the e2e stage, where `CUEDECK_E2E_APP` is the built app instead.

use anyhow::{ensure, Result};
use cuedeck_e2e::{take_the_tour, with_start_page, App, Env};

#[tokio::test]
#[ignore = "run by the install stage (`cargo xtask install-test`) against the installed app"]
async fn the_installed_app_starts_and_renders_the_installed_tour() -> Result<()> {
    let env = Env::or_skip("installed app")
        .ok_or_else(|| anyhow::anyhow!("the install stage sets the e2e environment"))?;
    ensure!(
        env.app.ends_with("usr/bin/cuedeck-app"),
        "CUEDECK_E2E_APP is the installed app, not {}",
        env.app.display()
    );
    with_start_page(&env, "installed", async |app| {
        app.wait_ready().await?;
        take_the_tour(app).await?;
        // Here a window that does not paint is a failure (a screenshot only logs it):
        // the grab must show the tour, not the start page's last frame.
        app.painted().await?;
        let shot = app.screenshot("installed-tour").await?;
        let contrast = App::contrast(&shot)?;
        ensure!(
            contrast > 0.01,
            "the installed app's window is blank (contrast {contrast:.3}): {}",
            shot.display()
        );
        Ok(())
    })
    .await
}
