fn main() {
    println!("cuedeck: under construction");
}
