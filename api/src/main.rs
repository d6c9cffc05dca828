use clap::Parser;

fn main() -> std::process::ExitCode {
    yizhan::allocator::limit_arenas();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("yizhan: cannot start the runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let cli = yizhan::cli::Cli::parse();
    match runtime.block_on(yizhan::cli::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("yizhan: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
