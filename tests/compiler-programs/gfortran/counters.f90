! A Fortran module: a global total, a function and a subroutine that calls it.
module counters
  implicit none
  integer :: total = 5
contains
  integer function square(x)
    integer, intent(in) :: x
    square = x * x
  end function square

  subroutine accumulate(n)
    integer, intent(in) :: n
    integer :: i
    do i = 1, n
      total = total + square(i)
    end do
  end subroutine accumulate
end module counters
