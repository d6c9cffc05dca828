use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = yizhan::cli::Cli::parse();
    match yizhan::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("yizhan: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
