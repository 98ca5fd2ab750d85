fn main() {
    eprintln!("mimic: nothing to run yet");
    std::process::exit(1);
}
